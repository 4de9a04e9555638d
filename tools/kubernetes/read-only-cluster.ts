import type { ConfigurationOptions, RequestContext, ResponseContext } from "@kubernetes/client-node";
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, KubeConfig, Observable } from "@kubernetes/client-node";
// Not re-exported from the package root in 1.x; it turns the client's V1 classes (Date fields, `_continue`) back into
// the API's JSON shape.
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";
import { z } from "zod";
import {
  CLUSTER_KINDS,
  type ClusterKind,
  type ClusterListOptions,
  type ClusterSource,
  type K8sObject,
  type PodLogOptions,
  type ToolCallRecord,
  type ToolError,
  type ToolResult,
} from "../interfaces.ts";

const BACKEND = "kubernetes";
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_ITEMS = 500;
const DEFAULT_MAX_LOG_BYTES = 256 * 1024;
/** Asked for when the caller gives no tailLines: the API server would otherwise send the whole log. */
const DEFAULT_TAIL_LINES = 2_000;
const REDACTED = "[redacted]";
/** kubectl keeps the whole applied manifest here, including every ConfigMap value. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** Where the client comes from. `in-cluster` uses the pod's service account. */
export type KubernetesConnection =
  | { mode: "in-cluster" }
  | { mode: "kubeconfig"; path?: string; context?: string }
  | { mode: "explicit"; server: string; token?: string; caData?: string; skipTLSVerify?: boolean };

export const kubernetesConnectionSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("in-cluster") }),
  z.object({
    mode: z.literal("kubeconfig"),
    path: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
  }),
  z.object({
    mode: z.literal("explicit"),
    server: z.string().url(),
    token: z.string().min(1).optional(),
    caData: z.string().min(1).optional(),
    skipTLSVerify: z.boolean().optional(),
  }),
]);

export interface KubernetesClusterOptions {
  connection: KubernetesConnection;
  /** When set, only these namespaces are read; a list elsewhere is `denied`, an all-namespaces list is split. */
  namespaces?: string[];
  /** ConfigMaps (by name, or `namespace/name`) whose values may be returned; every other one has values redacted. */
  allowConfigMapValues?: string[];
  timeoutMs?: number; // default 10000, per call
  maxItems?: number; // default 500 per list; beyond it the result is truncated
  maxLogBytes?: number; // default 256 KiB; the tail is kept
  /** Receives one record per call, success or failure. */
  onCall?: (record: ToolCallRecord) => void;
}

interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit: number;
}

interface KindSpec {
  apiVersion: string;
  kind: string;
  /** The client model name of the List, for turning the answer back into API JSON. */
  listType: string;
  clusterScoped?: boolean;
}

const KINDS: Record<ClusterKind, KindSpec> = {
  pods: { apiVersion: "v1", kind: "Pod", listType: "V1PodList" },
  events: { apiVersion: "v1", kind: "Event", listType: "CoreV1EventList" },
  deployments: { apiVersion: "apps/v1", kind: "Deployment", listType: "V1DeploymentList" },
  replicasets: { apiVersion: "apps/v1", kind: "ReplicaSet", listType: "V1ReplicaSetList" },
  statefulsets: { apiVersion: "apps/v1", kind: "StatefulSet", listType: "V1StatefulSetList" },
  daemonsets: { apiVersion: "apps/v1", kind: "DaemonSet", listType: "V1DaemonSetList" },
  nodes: { apiVersion: "v1", kind: "Node", listType: "V1NodeList", clusterScoped: true },
  services: { apiVersion: "v1", kind: "Service", listType: "V1ServiceList" },
  endpoints: { apiVersion: "v1", kind: "Endpoints", listType: "V1EndpointsList" },
  horizontalpodautoscalers: {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    listType: "V2HorizontalPodAutoscalerList",
  },
  configmaps: { apiVersion: "v1", kind: "ConfigMap", listType: "V1ConfigMapList" },
};

interface Clients {
  core: CoreV1Api;
  apps: AppsV1Api;
  autoscaling: AutoscalingV2Api;
}

/** A failure while building the client, kept so that every call can report it instead of the constructor throwing. */
type Built = { ok: true; clients: Clients } | { ok: false; message: string };

function buildKubeConfig(connection: KubernetesConnection): KubeConfig {
  const kc = new KubeConfig();
  if (connection.mode === "in-cluster") {
    // loadFromCluster would quietly build `https://undefined:undefined` outside a pod.
    if (!process.env.KUBERNETES_SERVICE_HOST) throw new Error("not running in a pod: KUBERNETES_SERVICE_HOST is unset");
    kc.loadFromCluster();
    return kc;
  }
  if (connection.mode === "kubeconfig") {
    if (connection.path) kc.loadFromFile(connection.path);
    else kc.loadFromDefault();
    if (connection.context) kc.setCurrentContext(connection.context);
    return kc;
  }
  kc.loadFromOptions({
    clusters: [
      {
        name: "vigil",
        server: connection.server,
        caData: connection.caData,
        skipTLSVerify: connection.skipTLSVerify ?? false,
      },
    ],
    users: [{ name: "vigil", token: connection.token }],
    contexts: [{ name: "vigil", cluster: "vigil", user: "vigil" }],
    currentContext: "vigil",
  });
  return kc;
}

function build(connection: KubernetesConnection): Built {
  try {
    const kc = buildKubeConfig(kubernetesConnectionSchema.parse(connection) as KubernetesConnection);
    if (!kc.getCurrentCluster()) return { ok: false, message: "kubernetes config has no current cluster" };
    return {
      ok: true,
      clients: {
        core: kc.makeApiClient(CoreV1Api),
        apps: kc.makeApiClient(AppsV1Api),
        autoscaling: kc.makeApiClient(AutoscalingV2Api),
      },
    };
  } catch (error) {
    return { ok: false, message: `kubernetes config: ${messageOf(error)}` };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Per-call request options: the abort signal reaches node-fetch through a request middleware. */
function abortable(signal: AbortSignal): ConfigurationOptions {
  const middleware = {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
  // "append" keeps the client's own middleware (none today, but it is not ours to drop).
  return { middleware: [middleware], middlewareMergeStrategy: "append" };
}

class CallTimeout extends Error {}

/** The message of a Kubernetes `Status` body, whether the client kept it as text or parsed it. */
function statusMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return body.slice(0, 300) || undefined;
    }
  }
  if (value && typeof value === "object" && typeof (value as { message?: unknown }).message === "string") {
    return (value as { message: string }).message;
  }
  return undefined;
}

function toToolError(error: unknown, what: string, timeoutMs: number): ToolError {
  if (error instanceof CallTimeout || (error as { name?: string })?.name === "AbortError") {
    return { backend: BACKEND, kind: "timeout", message: `${what}: no answer within ${timeoutMs} ms` };
  }
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "number") {
    const detail = statusMessage((error as { body?: unknown }).body);
    const suffix = detail ? `: ${detail}` : "";
    if (code === 401) return { backend: BACKEND, kind: "denied", message: `${what}: unauthorized (401)${suffix}` };
    if (code === 403) {
      return {
        backend: BACKEND,
        kind: "denied",
        message: `${what}: forbidden by RBAC (403); grant get/list on it to Vigil's service account${suffix}`,
      };
    }
    if (code === 404) return { backend: BACKEND, kind: "unavailable", message: `${what}: not found (404)${suffix}` };
    return { backend: BACKEND, kind: "http", message: `${what}: HTTP ${code}${suffix}` };
  }
  const type = (error as { type?: unknown })?.type;
  if (type === "system" || typeof code === "string") {
    return { backend: BACKEND, kind: "network", message: `${what}: ${messageOf(error)}` };
  }
  if (error instanceof SyntaxError || type === "invalid-json") {
    return { backend: BACKEND, kind: "parse", message: `${what}: ${messageOf(error)}` };
  }
  return { backend: BACKEND, kind: "unavailable", message: `${what}: ${messageOf(error)}` };
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 404;
}

/** The API's JSON for a List answer, plus whether the server had more than it sent. */
function listItems(answer: unknown, spec: KindSpec): { items: K8sObject[]; more: boolean } {
  const json = ObjectSerializer.serialize(answer, spec.listType, "") as {
    items?: unknown[];
    metadata?: { continue?: string; remainingItemCount?: number };
  };
  const items = (json.items ?? []).filter(
    (item): item is K8sObject =>
      typeof item === "object" && item !== null && typeof (item as K8sObject).metadata?.name === "string",
  );
  for (const item of items) {
    // List items come without apiVersion/kind; evidence refs and analyzers want them.
    item.apiVersion ??= spec.apiVersion;
    item.kind ??= spec.kind;
  }
  return { items, more: Boolean(json.metadata?.continue) || (json.metadata?.remainingItemCount ?? 0) > 0 };
}

/** `managedFields[].fieldsV1` is large and says nothing useful; who wrote the object and when is kept. */
function stripManagedFields(object: K8sObject): void {
  const managed = object.metadata.managedFields;
  if (!Array.isArray(managed)) return;
  object.metadata.managedFields = managed.map((entry: Record<string, unknown>) => ({
    manager: entry.manager,
    operation: entry.operation,
    time: entry.time,
    ...(entry.subresource ? { subresource: entry.subresource } : {}),
  }));
}

function redactConfigMap(object: K8sObject, allowed: Set<string>): void {
  const { name, namespace } = object.metadata;
  if (allowed.has(name) || allowed.has(`${namespace}/${name}`)) return;
  for (const field of ["data", "binaryData"]) {
    const values = object[field];
    if (!values || typeof values !== "object") continue;
    object[field] = Object.fromEntries(Object.keys(values).map((key) => [key, REDACTED]));
  }
  if (object.metadata.annotations?.[LAST_APPLIED]) object.metadata.annotations[LAST_APPLIED] = REDACTED;
}

/** Keep the last `maxBytes` bytes, starting at a line boundary when there is one. */
function keepTail(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return { text, truncated: false };
  const tail = Buffer.from(text)
    .subarray(bytes - maxBytes)
    .toString("utf8");
  const newline = tail.indexOf("\n");
  return { text: newline >= 0 && newline < tail.length - 1 ? tail.slice(newline + 1) : tail, truncated: true };
}

/**
 * The only place Vigil builds a Kubernetes client. It can list the kinds in `CLUSTER_KINDS` and read pod logs, and
 * nothing else: the API clients are private, and only their list and log-read methods are ever called. Every call
 * has a timeout and a size cap, and no method throws: failures come back as typed `ToolError`s.
 *
 * @example
 * const cluster = new KubernetesClusterSource({ connection: { mode: "in-cluster" }, namespaces: ["shop"] });
 * const pods = await cluster.list("pods", { namespace: "shop", labelSelector: "app=checkout" });
 * if (pods.ok) for (const pod of pods.data) console.log(pod.metadata.name, pod.status?.phase);
 */
export class KubernetesClusterSource implements ClusterSource {
  readonly backend = BACKEND;
  readonly #built: Built;
  readonly #namespaces?: Set<string>;
  readonly #allowConfigMapValues: Set<string>;
  readonly #timeoutMs: number;
  readonly #maxItems: number;
  readonly #maxLogBytes: number;
  readonly #onCall?: (record: ToolCallRecord) => void;

  constructor(options: KubernetesClusterOptions) {
    this.#built = build(options.connection);
    this.#namespaces = options.namespaces?.length ? new Set(options.namespaces) : undefined;
    this.#allowConfigMapValues = new Set(options.allowConfigMapValues ?? []);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS;
    this.#maxLogBytes = options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    this.#onCall = options.onCall;
  }

  /** Why the client could not be built (bad kubeconfig, not in a pod), or undefined when it is usable. */
  get configError(): string | undefined {
    return this.#built.ok ? undefined : this.#built.message;
  }

  async list(kind: ClusterKind, options: ClusterListOptions = {}): Promise<ToolResult<K8sObject[]>> {
    const startedAt = Date.now();
    const query = describeList(kind, options);
    const result = await this.#list(kind, options);
    this.#record("list", query, startedAt, result);
    return result;
  }

  async podLogs(namespace: string, pod: string, options: PodLogOptions = {}): Promise<ToolResult<string>> {
    const startedAt = Date.now();
    const query = `${namespace}/${pod}${options.container ? `/${options.container}` : ""}${options.previous ? " (previous)" : ""}`;
    const result = await this.#podLogs(namespace, pod, options);
    this.#record("pod_logs", query, startedAt, result);
    return result;
  }

  async #list(kind: ClusterKind, options: ClusterListOptions): Promise<ToolResult<K8sObject[]>> {
    if (!this.#built.ok) return this.#failure("unavailable", this.#built.message);
    if (!(CLUSTER_KINDS as readonly string[]).includes(kind)) {
      return this.#failure("denied", `${String(kind)} is not a kind Vigil reads`);
    }
    const spec = KINDS[kind];
    const cap = Math.max(1, Math.min(options.limit ?? this.#maxItems, this.#maxItems));
    const query: ListQuery = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: cap };
    const namespace = spec.clusterScoped ? undefined : options.namespace;

    if (namespace !== undefined && this.#namespaces && !this.#namespaces.has(namespace)) {
      return this.#failure("denied", `namespace ${namespace} is outside the configured allowlist`);
    }
    // With an allowlist, "all namespaces" means every allowed namespace: never a cluster-wide list.
    const targets =
      namespace !== undefined || spec.clusterScoped || !this.#namespaces ? [namespace] : [...this.#namespaces];

    const items: K8sObject[] = [];
    let truncated = false;
    for (const target of targets) {
      const what = `${kind}${target ? ` in namespace ${target}` : spec.clusterScoped ? "" : " in all namespaces"}`;
      const answer = await this.#withTimeout(what, (signal) => this.#callList(kind, target, query, abortable(signal)));
      if (!answer.ok) {
        // A List that is not served (an API group the cluster lacks) has no objects to report.
        if (isNotFound(answer.cause)) continue;
        return { ok: false, error: answer.error };
      }
      let page: { items: K8sObject[]; more: boolean };
      try {
        page = listItems(answer.value, spec);
      } catch (error) {
        return this.#failure("parse", `${what}: ${messageOf(error)}`);
      }
      items.push(...page.items);
      truncated ||= page.more;
    }
    if (items.length > cap) {
      items.length = cap;
      truncated = true;
    }
    for (const item of items) {
      stripManagedFields(item);
      if (kind === "configmaps") redactConfigMap(item, this.#allowConfigMapValues);
    }
    return { ok: true, data: items, truncated };
  }

  async #podLogs(namespace: string, pod: string, options: PodLogOptions): Promise<ToolResult<string>> {
    if (!this.#built.ok) return this.#failure("unavailable", this.#built.message);
    if (this.#namespaces && !this.#namespaces.has(namespace)) {
      return this.#failure("denied", `namespace ${namespace} is outside the configured allowlist`);
    }
    const { core } = this.#built.clients;
    const what = `log of pod ${namespace}/${pod}${options.container ? ` container ${options.container}` : ""}`;
    const answer = await this.#withTimeout(what, (signal) =>
      core.readNamespacedPodLog(
        {
          name: pod,
          namespace,
          container: options.container,
          previous: options.previous,
          sinceSeconds: options.sinceSeconds,
          tailLines: options.tailLines ?? DEFAULT_TAIL_LINES,
        },
        abortable(signal),
      ),
    );
    if (!answer.ok) return { ok: false, error: answer.error };
    const text = typeof answer.value === "string" ? answer.value : String(answer.value ?? "");
    const kept = keepTail(text, this.#maxLogBytes);
    return { ok: true, data: kept.text, truncated: kept.truncated };
  }

  /** The one switch from a kind to a client call; only list methods appear here. */
  #callList(
    kind: ClusterKind,
    namespace: string | undefined,
    query: ListQuery,
    options: ConfigurationOptions,
  ): Promise<unknown> {
    if (!this.#built.ok) return Promise.reject(new Error(this.#built.message));
    const { core, apps, autoscaling } = this.#built.clients;
    const all = namespace === undefined;
    const ns = { ...query, namespace: namespace ?? "" };
    switch (kind) {
      case "pods":
        return all ? core.listPodForAllNamespaces(query, options) : core.listNamespacedPod(ns, options);
      case "events":
        return all ? core.listEventForAllNamespaces(query, options) : core.listNamespacedEvent(ns, options);
      case "deployments":
        return all ? apps.listDeploymentForAllNamespaces(query, options) : apps.listNamespacedDeployment(ns, options);
      case "replicasets":
        return all ? apps.listReplicaSetForAllNamespaces(query, options) : apps.listNamespacedReplicaSet(ns, options);
      case "statefulsets":
        return all ? apps.listStatefulSetForAllNamespaces(query, options) : apps.listNamespacedStatefulSet(ns, options);
      case "daemonsets":
        return all ? apps.listDaemonSetForAllNamespaces(query, options) : apps.listNamespacedDaemonSet(ns, options);
      case "nodes":
        return core.listNode(query, options);
      case "services":
        return all ? core.listServiceForAllNamespaces(query, options) : core.listNamespacedService(ns, options);
      case "endpoints":
        return all ? core.listEndpointsForAllNamespaces(query, options) : core.listNamespacedEndpoints(ns, options);
      case "horizontalpodautoscalers":
        return all
          ? autoscaling.listHorizontalPodAutoscalerForAllNamespaces(query, options)
          : autoscaling.listNamespacedHorizontalPodAutoscaler(ns, options);
      case "configmaps":
        return all ? core.listConfigMapForAllNamespaces(query, options) : core.listNamespacedConfigMap(ns, options);
    }
  }

  /**
   * Runs one request under the call timeout. The signal aborts the HTTP request; the race also covers the time before
   * the request is sent (a credential plugin that hangs, say).
   */
  async #withTimeout<T>(
    what: string,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; error: ToolError; cause: unknown }> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new CallTimeout());
      }, this.#timeoutMs);
    });
    try {
      const value = await Promise.race([run(controller.signal), expired]);
      return { ok: true, value };
    } catch (cause) {
      return { ok: false, error: toToolError(cause, what, this.#timeoutMs), cause };
    } finally {
      clearTimeout(timer);
    }
  }

  #failure(kind: ToolError["kind"], message: string): { ok: false; error: ToolError } {
    return { ok: false, error: { backend: BACKEND, kind, message } };
  }

  #record(operation: string, query: string, startedAt: number, result: ToolResult<K8sObject[] | string>): void {
    if (!this.#onCall) return;
    const data = result.ok ? result.data : undefined;
    this.#onCall({
      backend: BACKEND,
      operation,
      query,
      startedAt,
      durationMs: Date.now() - startedAt,
      bytes: typeof data === "string" ? Buffer.byteLength(data) : data ? JSON.stringify(data).length : 0,
      rows: Array.isArray(data) ? data.length : typeof data === "string" ? data.split("\n").filter(Boolean).length : 0,
      cacheHit: false,
      truncated: result.ok ? result.truncated : false,
      error: result.ok ? undefined : result.error.message,
    });
  }
}

function describeList(kind: ClusterKind, options: ClusterListOptions): string {
  const parts = [kind, options.namespace ? `namespace=${options.namespace}` : "all-namespaces"];
  if (options.labelSelector) parts.push(`labelSelector=${options.labelSelector}`);
  if (options.fieldSelector) parts.push(`fieldSelector=${options.fieldSelector}`);
  if (options.limit) parts.push(`limit=${options.limit}`);
  return parts.join(" ");
}
