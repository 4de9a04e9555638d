import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { K8sObject } from "../../tools/interfaces.ts";
import { auditRequest } from "./audit.ts";

/**
 * A fixture Kubernetes API server (docs/testing.md §4.3): the read paths Vigil uses, answered from `kubectl get -o
 * json`-shaped objects, with label and field selectors, `limit`, RBAC 403s, and injectable delays and 5xx. It
 * answers every write with 405 and records every request so tests can assert that Vigil only ever read.
 *
 * @example
 * const fake = await startFakeKubernetes({ objects: [pod], podLogs: { "shop/checkout-1": "boom\n" } });
 * const cluster = new KubernetesClusterSource({ connection: { mode: "explicit", server: fake.url } });
 * await fake.close();
 */
export interface FakeKubernetesOptions {
  /** Objects of any served kind; routed by `kind` (Pod → pods, Deployment → deployments, …). */
  objects: K8sObject[];
  /** core/v1 Events; also served, converted, under events.k8s.io/v1. */
  events?: K8sObject[];
  /** Keys `ns/pod`, `ns/pod/container`, with `:previous` appended for the previous container's log. */
  podLogs?: Record<string, string>;
  /** Resources answering 403 (`configmaps`, `pods/log`, …). */
  forbidden?: string[];
  faults?: FakeKubernetesFaults;
}

export interface FakeKubernetesFaults {
  delayMs?: number; // before answering
  status?: number; // answer every matching request with this status (a Status body), e.g. 500
  /** Only requests whose path matches are affected; default all. */
  match?: RegExp;
}

export interface FakeKubernetesRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface FakeKubernetes {
  url: string;
  /** Every request, in order. */
  requests: FakeKubernetesRequest[];
  /** Replace the faults in effect for the following requests. */
  setFaults(faults: FakeKubernetesFaults): void;
  close(): Promise<void>;
}

interface Group {
  prefix: string;
  apiVersion: string;
  resources: Record<string, { kind: string; clusterScoped?: boolean }>;
}

const GROUPS: Group[] = [
  {
    prefix: "/api/v1",
    apiVersion: "v1",
    resources: {
      pods: { kind: "Pod" },
      events: { kind: "Event" },
      services: { kind: "Service" },
      endpoints: { kind: "Endpoints" },
      configmaps: { kind: "ConfigMap" },
      nodes: { kind: "Node", clusterScoped: true },
    },
  },
  {
    prefix: "/apis/apps/v1",
    apiVersion: "apps/v1",
    resources: {
      deployments: { kind: "Deployment" },
      replicasets: { kind: "ReplicaSet" },
      statefulsets: { kind: "StatefulSet" },
      daemonsets: { kind: "DaemonSet" },
    },
  },
  {
    prefix: "/apis/autoscaling/v2",
    apiVersion: "autoscaling/v2",
    resources: { horizontalpodautoscalers: { kind: "HorizontalPodAutoscaler" } },
  },
  { prefix: "/apis/events.k8s.io/v1", apiVersion: "events.k8s.io/v1", resources: { events: { kind: "Event" } } },
];

const RESOURCE_BY_KIND: Record<string, string> = {
  Pod: "pods",
  Event: "events",
  Service: "services",
  Endpoints: "endpoints",
  ConfigMap: "configmaps",
  Node: "nodes",
  Deployment: "deployments",
  ReplicaSet: "replicasets",
  StatefulSet: "statefulsets",
  DaemonSet: "daemonsets",
  HorizontalPodAutoscaler: "horizontalpodautoscalers",
};

interface Route {
  group: Group;
  resource: string;
  namespace?: string;
  name?: string;
  log?: boolean;
}

/** `/api/v1/namespaces/shop/pods/x/log` → {group core, resource pods, namespace shop, name x, log}. */
function route(path: string): Route | undefined {
  const group = GROUPS.find((g) => path === g.prefix || path.startsWith(`${g.prefix}/`));
  if (!group) return undefined;
  const parts = path.slice(group.prefix.length).split("/").filter(Boolean).map(decodeURIComponent);
  let namespace: string | undefined;
  if (parts[0] === "namespaces" && parts.length >= 3) {
    namespace = parts[1];
    parts.splice(0, 2);
  }
  const [resource, name, sub, ...rest] = parts;
  const spec = resource ? group.resources[resource] : undefined;
  if (!spec || rest.length > 0) return undefined;
  if (spec.clusterScoped && namespace !== undefined) return undefined;
  if (sub !== undefined && !(sub === "log" && resource === "pods" && group.apiVersion === "v1")) return undefined;
  if (name !== undefined && namespace === undefined && !spec.clusterScoped) return undefined;
  return { group, resource, namespace, name, log: sub === "log" };
}

function valueAt(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Splits on commas outside parentheses: `a in (x,y),b=c` → [`a in (x,y)`, `b=c`]. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(current.trim());
      current = "";
      continue;
    }
    current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out.filter(Boolean);
}

/** Equality (`=`, `==`, `!=`), set (`in`, `notin`) and existence (`k`, `!k`) requirements, as the API server does. */
export function matchesLabelSelector(labels: Record<string, string> | undefined, selector: string): boolean {
  const have = labels ?? {};
  for (const term of terms(selector)) {
    const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (set) {
      const values = set[3].split(",").map((v) => v.trim());
      const inSet = set[1] in have && values.includes(have[set[1]]);
      if (set[2] === "in" ? !inSet : inSet) return false;
      continue;
    }
    const eq = /^([\w./-]+)\s*(!=|==|=)\s*(.*)$/.exec(term);
    if (eq) {
      const equal = have[eq[1]] === eq[3].trim();
      if (eq[2] === "!=" ? equal : !equal) return false;
      continue;
    }
    if (term.startsWith("!")) {
      if (term.slice(1).trim() in have) return false;
      continue;
    }
    if (!(term in have)) return false;
  }
  return true;
}

export function matchesFieldSelector(object: unknown, selector: string): boolean {
  for (const term of terms(selector)) {
    const m = /^([\w.]+)\s*(!=|==|=)\s*(.*)$/.exec(term);
    if (!m) return false;
    const actual = valueAt(object, m[1]);
    const equal = String(actual ?? "") === m[3];
    if (m[2] === "!=" ? equal : !equal) return false;
  }
  return true;
}

/** A core/v1 Event in events.k8s.io/v1 shape. */
function toEventsV1(event: K8sObject): K8sObject {
  return {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: event.metadata,
    regarding: event.involvedObject,
    note: event.message,
    reason: event.reason,
    type: event.type,
    eventTime: event.eventTime ?? null,
    deprecatedFirstTimestamp: event.firstTimestamp,
    deprecatedLastTimestamp: event.lastTimestamp,
    deprecatedCount: event.count,
    reportingController: (event.source as { component?: string } | undefined)?.component,
  };
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, details: {}, code };
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function tailLines(text: string, n: number): string {
  if (!Number.isFinite(n) || n < 0) return text;
  if (n === 0) return "";
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const kept = lines.slice(-n);
  return kept.length ? `${kept.join("\n")}\n` : "";
}

export async function startFakeKubernetes(options: FakeKubernetesOptions): Promise<FakeKubernetes> {
  const requests: FakeKubernetesRequest[] = [];
  const forbidden = new Set(options.forbidden ?? []);
  const logs = options.podLogs ?? {};
  let faults: FakeKubernetesFaults = options.faults ?? {};
  const timers = new Set<NodeJS.Timeout>();
  let resourceVersion = 1000;

  const byResource = new Map<string, K8sObject[]>();
  for (const object of [...options.objects, ...(options.events ?? [])]) {
    const resource = object.kind ? RESOURCE_BY_KIND[object.kind] : undefined;
    if (!resource) throw new Error(`fake kubernetes: unsupported kind ${object.kind} for ${object.metadata.name}`);
    byResource.set(resource, [...(byResource.get(resource) ?? []), object]);
  }

  function objectsFor(r: Route): K8sObject[] {
    const all = byResource.get(r.resource) ?? [];
    const inScope = r.namespace === undefined ? all : all.filter((o) => o.metadata.namespace === r.namespace);
    if (r.group.apiVersion === "events.k8s.io/v1") return inScope.map(toEventsV1);
    return inScope.map((o) => ({ apiVersion: r.group.apiVersion, ...o }));
  }

  function forbid(res: ServerResponse, r: Route): void {
    const verb = r.name ? "get" : "list";
    const group = r.group.apiVersion.includes("/") ? r.group.apiVersion.split("/")[0] : "";
    const resource = r.log ? "pods/log" : r.resource;
    const where = r.namespace ? ` in the namespace "${r.namespace}"` : " at the cluster scope";
    const message = `${resource} is forbidden: User "system:serviceaccount:vigil:vigil" cannot ${verb} resource "${resource}" in API group "${group}"${where}`;
    sendJson(res, 403, status(403, "Forbidden", message));
  }

  function answer(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): void {
    if (req.method !== "GET") {
      sendJson(
        res,
        405,
        status(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`),
      );
      return;
    }
    if (faults.status && (!faults.match || faults.match.test(path))) {
      sendJson(res, faults.status, status(faults.status, "InternalError", `fake fault: HTTP ${faults.status}`));
      return;
    }
    const r = route(path);
    if (!r) {
      sendJson(res, 404, status(404, "NotFound", "the server could not find the requested resource"));
      return;
    }
    if (forbidden.has(r.log ? "pods/log" : r.resource) || (r.log && forbidden.has("pods"))) {
      forbid(res, r);
      return;
    }
    if (r.log) {
      answerLog(res, r, query);
      return;
    }
    if (r.name !== undefined) {
      const found = objectsFor(r).find((o) => o.metadata.name === r.name);
      if (!found) {
        sendJson(res, 404, status(404, "NotFound", `${r.resource} "${r.name}" not found`));
        return;
      }
      sendJson(res, 200, found);
      return;
    }
    let items = objectsFor(r);
    const labelSelector = query.get("labelSelector");
    if (labelSelector) items = items.filter((o) => matchesLabelSelector(o.metadata.labels, labelSelector));
    const fieldSelector = query.get("fieldSelector");
    if (fieldSelector) items = items.filter((o) => matchesFieldSelector(o, fieldSelector));
    const offset = Number(query.get("continue") ?? 0) || 0;
    const limit = Number(query.get("limit") ?? 0);
    const end = limit > 0 ? offset + limit : items.length;
    const page = items.slice(offset, end);
    const metadata: Record<string, unknown> = { resourceVersion: String(resourceVersion++) };
    if (end < items.length) {
      metadata.continue = String(end);
      metadata.remainingItemCount = items.length - end;
    }
    const kind = `${r.group.resources[r.resource].kind}List`;
    sendJson(res, 200, { kind, apiVersion: r.group.apiVersion, metadata, items: page });
  }

  function answerLog(res: ServerResponse, r: Route, query: URLSearchParams): void {
    const pod = (byResource.get("pods") ?? []).find(
      (o) => o.metadata.namespace === r.namespace && o.metadata.name === r.name,
    );
    if (!pod) {
      sendJson(res, 404, status(404, "NotFound", `pods "${r.name}" not found`));
      return;
    }
    const container = query.get("container");
    const previous = query.get("previous") === "true";
    const suffix = previous ? ":previous" : "";
    const base = `${r.namespace}/${r.name}`;
    const keys = container ? [`${base}/${container}${suffix}`, `${base}${suffix}`] : [`${base}${suffix}`];
    const key = keys.find((k) => k in logs);
    if (key === undefined && previous) {
      const message = `previous terminated container "${container ?? ""}" in pod "${r.name}" not found`;
      sendJson(res, 400, status(400, "BadRequest", message));
      return;
    }
    let text = key === undefined ? "" : logs[key];
    const tail = query.get("tailLines");
    if (tail !== null) text = tailLines(text, Number(tail));
    const limitBytes = Number(query.get("limitBytes") ?? 0);
    if (limitBytes > 0) text = Buffer.from(text).subarray(0, limitBytes).toString("utf8");
    res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams) });
    auditRequest({ backend: "kubernetes", method, path: url.pathname });
    // Drain any body so a write attempt gets its 405 rather than a reset.
    req.resume();
    const delay = faults.delayMs && (!faults.match || faults.match.test(url.pathname)) ? faults.delayMs : 0;
    if (!delay) {
      answer(req, res, url.pathname, url.searchParams);
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) answer(req, res, url.pathname, url.searchParams);
    }, delay);
    timers.add(timer);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setFaults(next) {
      faults = next;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
