import type { K8sObject } from "../../tools/interfaces.ts";

/**
 * Kubernetes analyzers in the manner of k8sgpt's: pure functions over listed objects that name what is visibly wrong
 * (crash loops, OOM kills, pull failures, unschedulable pods, failing probes, node pressure, missing replicas, an HPA
 * pinned at its maximum, evictions, recent restarts). Each finding names the object it reads, so evidence can reopen
 * it; none of them guesses at causes.
 *
 * @example
 * const findings = runK8sAnalyzers({ pods, events, deployments, replicasets, nodes }, { now: alert.startsAt });
 * for (const f of findings) console.log(f.severity, f.service, f.reason, f.message);
 */
export interface K8sFinding {
  analyzer: string;
  severity: "critical" | "warning";
  service?: string;
  entity: { kind: string; namespace?: string; name: string };
  reason: string;
  message: string;
  /** When the condition started or was last seen (Unix ms), when the object says. */
  since?: number;
  /** Reopens the object the finding reads, e.g. `v1/namespaces/shop/pods/checkout-abc`. */
  evidenceRef: string;
}

export interface K8sSnapshot {
  pods?: K8sObject[];
  events?: K8sObject[];
  deployments?: K8sObject[];
  replicasets?: K8sObject[];
  statefulsets?: K8sObject[];
  nodes?: K8sObject[];
  hpas?: K8sObject[];
  /** An earlier listing of the same pods; a restart count that grew since then is a recent restart. */
  previousPods?: K8sObject[];
}

export interface K8sAnalyzerOptions {
  /** The investigation clock (Unix ms). */
  now: number;
  windowMs?: number; // default 1 h: how far back a termination, restart or event counts as recent
  hpaHighUtilizationPercent?: number; // default 80, used when the HPA has no target to compare with
}

const DEFAULT_WINDOW_MS = 60 * 60_000;
const DEFAULT_HPA_HIGH = 80;
const PULL_FAILURES = new Set(["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"]);
/** Node conditions that are bad when True; Ready is bad when not True. */
const NODE_PRESSURE: Record<string, "critical" | "warning"> = {
  MemoryPressure: "warning",
  DiskPressure: "warning",
  PIDPressure: "warning",
  NetworkUnavailable: "critical",
};

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode?: number; finishedAt?: string; startedAt?: string; message?: string };
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  state?: ContainerState;
  lastState?: ContainerState;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface EventFields {
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
}

function ms(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

function ref(object: K8sObject, fallbackKind: string): string {
  const apiVersion = object.apiVersion ?? (fallbackKind === "Pod" || fallbackKind === "Node" ? "v1" : "apps/v1");
  const resource = `${(object.kind ?? fallbackKind).toLowerCase()}s`;
  const { namespace, name } = object.metadata;
  return namespace ? `${apiVersion}/namespaces/${namespace}/${resource}/${name}` : `${apiVersion}/${resource}/${name}`;
}

function entity(object: K8sObject, kind: string): K8sFinding["entity"] {
  const { namespace, name } = object.metadata;
  return { kind: object.kind ?? kind, ...(namespace ? { namespace } : {}), name };
}

function statuses(pod: K8sObject): ContainerStatus[] {
  const status = pod.status as { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
  return [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])];
}

function conditions(object: K8sObject): Condition[] {
  const list = (object.status as { conditions?: Condition[] } | undefined)?.conditions;
  return Array.isArray(list) ? list : [];
}

function memoryLimit(pod: K8sObject, container: string): string | undefined {
  const spec = pod.spec as
    | { containers?: Array<{ name?: string; resources?: { limits?: Record<string, string> } }> }
    | undefined;
  return spec?.containers?.find((c) => c.name === container)?.resources?.limits?.memory;
}

function labelService(object: K8sObject | undefined): string | undefined {
  const labels = object?.metadata.labels ?? {};
  return labels["app.kubernetes.io/name"] ?? labels.app;
}

/**
 * The service a pod belongs to: its owning workload (ReplicaSet → Deployment, StatefulSet, DaemonSet), else its
 * `app.kubernetes.io/name` or `app` label.
 */
export function podService(pod: K8sObject, replicasets: K8sObject[] = []): string | undefined {
  const owner = pod.metadata.ownerReferences?.[0];
  if (owner?.kind === "ReplicaSet") {
    const rs = replicasets.find(
      (r) => r.metadata.name === owner.name && r.metadata.namespace === pod.metadata.namespace,
    );
    const deployment = rs?.metadata.ownerReferences?.find((o) => o.kind === "Deployment");
    if (deployment) return deployment.name;
    // Without the ReplicaSet listed, its name minus the pod-template-hash is the Deployment's.
    const hash = pod.metadata.labels?.["pod-template-hash"];
    if (!rs && hash && owner.name.endsWith(`-${hash}`)) return owner.name.slice(0, -hash.length - 1);
  }
  if (owner && (owner.kind === "StatefulSet" || owner.kind === "DaemonSet")) return owner.name;
  return labelService(pod);
}

function eventTime(event: K8sObject): number | undefined {
  const e = event as K8sObject & EventFields;
  return ms(e.lastTimestamp) ?? ms(e.eventTime) ?? ms(e.firstTimestamp) ?? ms(event.metadata.creationTimestamp);
}

/** Events about one object, newest first, within the window. */
function eventsFor(
  events: K8sObject[],
  kind: string,
  object: K8sObject,
  reasons: string[],
  from: number,
): Array<K8sObject & EventFields> {
  return (events as Array<K8sObject & EventFields>)
    .filter(
      (e) =>
        e.involvedObject?.kind === kind &&
        e.involvedObject.name === object.metadata.name &&
        (e.involvedObject.namespace ?? e.metadata.namespace) === object.metadata.namespace &&
        reasons.includes(e.reason ?? "") &&
        (eventTime(e) ?? 0) >= from,
    )
    .sort((a, b) => (eventTime(b) ?? 0) - (eventTime(a) ?? 0));
}

class Context {
  readonly from: number;
  readonly hpaHigh: number;
  constructor(
    readonly snapshot: K8sSnapshot,
    readonly options: K8sAnalyzerOptions,
  ) {
    this.from = options.now - (options.windowMs ?? DEFAULT_WINDOW_MS);
    this.hpaHigh = options.hpaHighUtilizationPercent ?? DEFAULT_HPA_HIGH;
  }
  service(pod: K8sObject): string | undefined {
    return podService(pod, this.snapshot.replicasets);
  }
  recent(t: number | undefined): t is number {
    return t !== undefined && t >= this.from && t <= this.options.now;
  }
}

function podFinding(
  ctx: Context,
  pod: K8sObject,
  fields: Omit<K8sFinding, "entity" | "evidenceRef" | "service">,
): K8sFinding {
  return { ...fields, service: ctx.service(pod), entity: entity(pod, "Pod"), evidenceRef: ref(pod, "Pod") };
}

function describeLast(c: ContainerStatus): string {
  const t = c.lastState?.terminated;
  if (!t) return "";
  return `; last exit ${t.reason ?? "unknown"}${t.exitCode !== undefined ? ` (code ${t.exitCode})` : ""}`;
}

export function analyzeCrashLoops(snapshot: K8sSnapshot, options: K8sAnalyzerOptions): K8sFinding[] {
  const ctx = new Context(snapshot, options);
  const findings: K8sFinding[] = [];
  for (const pod of snapshot.pods ?? []) {
    for (const c of statuses(pod)) {
      if (c.state?.waiting?.reason !== "CrashLoopBackOff") continue;
      findings.push(
        podFinding(ctx, pod, {
          analyzer: "crash-loop",
          severity: "critical",
          reason: "CrashLoopBackOff",
          message: `container ${c.name} is in CrashLoopBackOff after ${c.restartCount ?? 0} restarts${describeLast(c)}`,
          since: ms(c.lastState?.terminated?.finishedAt),
        }),
      );
    }
  }
  return findings;
}

export function analyzeOomKills(snapshot: K8sSnapshot, options: K8sAnalyzerOptions): K8sFinding[] {
  const ctx = new Context(snapshot, options);
  const findings: K8sFinding[] = [];
  for (const pod of snapshot.pods ?? []) {
    for (const c of statuses(pod)) {
      const terminated = [c.state?.terminated, c.lastState?.terminated].find((t) => t?.reason === "OOMKilled");
      const at = ms(terminated?.finishedAt);
      // An OOM kill from last week says nothing about this alert.
      if (!terminated || !ctx.recent(at)) continue;
      const limit = memoryLimit(pod, c.name);
      findings.push(
        podFinding(ctx, pod, {
          analyzer: "oom-killed",
          severity: "critical",
          reason: "OOMKilled",
          message: `container ${c.name} was OOM-killed (exit ${terminated.exitCode ?? 137}) ${limit ? `at its memory limit of ${limit}` : "with no memory limit set (node memory exhausted)"}; ${c.restartCount ?? 0} restarts`,
          since: at,
        }),
      );
    }
  }
  return findings;
}

export function analyzeImagePulls(snapshot: K8sSnapshot, options: K8sAnalyzerOptions): K8sFinding[] {
  const ctx = new Context(snapshot, options);
  const findings: K8sFinding[] = [];
  for (const pod of snapshot.pods ?? []) {
    const spec = pod.spec as { containers?: Array<{ name?: string; image?: string }> } | undefined;
    for (const c of statuses(pod)) {
      const waiting = c.state?.waiting;
      if (!waiting?.reason || !PULL_FAILURES.has(waiting.reason)) continue;
      const image = spec?.containers?.find((s) => s.name === c.name)?.image ?? c.image ?? "?";
      const event = eventsFor(snapshot.events ?? [], "Pod", pod, ["Failed"], ctx.from)[0];
      findings.push(
        podFinding(ctx, pod, {
          analyzer: "image-pull",
          severity: "critical",
          reason: waiting.reason,
          message: `container ${c.name} cannot pull image ${image}: ${event?.message ?? waiting.message ?? waiting.reason}`,
          since: event ? eventTime(event) : ms(pod.metadata.creationTimestamp),
        }),
      );
    }
  }
  return findings;
}

export function analyzeUnschedulable(snapshot: K8sSnapshot, options: K8sAnalyzerOptions): K8sFinding[] {
  const ctx = new Context(snapshot, options);
  const findings: K8sFinding[] = [];
  for (const pod of snapshot.pods ?? []) {
    if ((pod.status as { phase?: string } | undefined)?.phase !== "Pending") continue;
    const scheduled = conditions(pod).find((c) => c.type === "PodScheduled");
    const event = eventsFor(snapshot.events ?? [], "Pod", pod, ["FailedScheduling"], ctx.from)[0];
    if (scheduled?.status !== "False" && !event) continue;
    findings.push(
      podFinding(ctx, pod, {
        analyzer: "unschedulable",
        severity: "critical",
        reason: scheduled?.reason ?? "FailedScheduling",
        message: `pod is Pending and not scheduled: ${event?.message ?? scheduled?.message ?? "no node fits"}`,
        since: ms(scheduled?.lastTransitionTime) ?? ms(pod.metadata.creationTimestamp),
      }),
    );
  }
  return findings;
}

export function analyzeProbes(snapshot: K8sSnapshot, options: K8sAnalyzerOptions): K8sFinding[] {
  const ctx = new Context(snapshot, options);
  const findings: K8sFinding[] = [];
  for (const pod of snapshot.pods ?? []) {
    const unhealthy = eventsFor(snapshot.events ?? [], "Pod", pod, ["Unhealthy"], ctx.from);
    const liveness = unhealthy.find((e) => /liveness/i.test(e.message ?? ""));
    const readiness = unhealthy.find((e) => /readiness|startup/i.test(e.message ?? ""));
    for (const [event, reason] of [
      [liveness, "LivenessProbeFailed"],
      [readiness, "ReadinessProbeFailed"],
    ] as const) {
      if (!event) continue;
      findings.push(
        podFinding(ctx, pod, {
          analyzer: "probe-failure",
          // A failing liveness probe restarts the container; a failing readiness probe only takes it out of service.
          severity: reason === "LivenessProbeFailed" ? "critical" : "warning",
          reason,
          message: `${event.message ?? reason}${event.count && event.count > 1 ? ` (${event.count} times)` : ""}`,
          since: ms(event.firstTimestamp) ?? eventTime(event),
        }),
      );
    }
    if (readiness) continue;
    for (const c of statuses(pod)) {
      if (c.ready !== false || !c.state?.running) continue;
      findings.push(
        podFinding(ctx, pod, {
          analyzer: "probe-failure",
          severity: "warning",
          reason: "NotReady",
          message: `container ${c.name} is running but not ready`,
          since: ms(conditions(pod).find((x) => x.type === "Ready")?.lastTransitionTime),
        }),
      );
    }
  }
  return findings;
}

export function analyzeNodes(snapshot: K8sSnapshot, _options: K8sAnalyzerOptions): K8sFinding[] {
  const findings: K8sFinding[] = [];
  for (const node of snapshot.nodes ?? []) {
    const onNode = (snapshot.pods ?? []).filter(
      (p) => (p.spec as { nodeName?: string } | undefined)?.nodeName === node.metadata.name,
    );
    const podList = onNode.length
      ? `; pods there: ${onNode
          .slice(0, 10)
          .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
          .join(", ")}${onNode.length > 10 ? ` and ${onNode.length - 10} more` : ""}`
      : "";
    for (const c of conditions(node)) {
      const notReady = c.type === "Ready" && c.status !== "True";
      const pressure = c.type !== undefined && c.type in NODE_PRESSURE && c.status === "True";
      if (!notReady && !pressure) continue;
      findings.push({
        analyzer: "node-condition",
        severity: notReady ? "critical" : NODE_PRESSURE[c.type as string],
        entity: entity(node, "Node"),
        reason: notReady ? "NodeNotReady" : (c.type as string),
        message: `node ${node.metadata.name} ${notReady ? `is not Ready (${c.status})` : `has ${c.type}`}${c.message ? `: ${c.message}` : ""}${podList}`,
        since: ms(c.lastTransitionTime),
        evidenceRef: ref(node, "Node"),
      });
    }
  }
  return findings;
}

export function analyzeReplicas(snapshot: K8sSnapshot, _options: K8sAnalyzerOptions): K8sFinding[] {
  const findings: K8sFinding[] = [];
  for (const [kind, list] of [
    ["Deployment", snapshot.deployments ?? []],
    ["StatefulSet", snapshot.statefulsets ?? []],
  ] as const) {
    for (const workload of list) {
      const desired = Number((workload.spec as { replicas?: number } | undefined)?.replicas ?? 1);
      const ready = Number((workload.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0);
      if (desired <= 0 || ready >= desired) continue;
      const unavailable = conditions(workload).find(
        (c) => (c.type === "Available" || c.type === "Progressing") && c.status === "False",
      );
      findings.push({
        analyzer: "replica-mismatch",
        severity: ready === 0 ? "critical" : "warning",
        service: labelService(workload) ?? workload.metadata.name,
        entity: entity(workload, kind),
        reason: ready === 0 ? "NoReadyReplicas" : "ReplicasUnavailable",
        message: `${kind.toLowerCase()} ${workload.metadata.name} has ${ready}/${desired} replicas ready${unavailable?.message ? `: ${unavailable.message}` : ""}`,
        since: ms(unavailable?.lastTransitionTime),
        evidenceRef: ref(workload, kind),
      });
    }
  }
  return findings;
}

interface HpaMetric {
  type?: string;
  resource?: { name?: string; current?: { averageUtilization?: number }; target?: { averageUtilization?: number } };
}

export function analyzeHpas(snapshot: K8sSnapshot, options: K8sAnalyzerOptions): K8sFinding[] {
  const ctx = new Context(snapshot, options);
  const findings: K8sFinding[] = [];
  for (const hpa of snapshot.hpas ?? []) {
    const spec = hpa.spec as
      | { maxReplicas?: number; metrics?: HpaMetric[]; scaleTargetRef?: { kind?: string; name?: string } }
      | undefined;
    const status = hpa.status as { currentReplicas?: number; currentMetrics?: HpaMetric[] } | undefined;
    const max = spec?.maxReplicas;
    if (max === undefined || (status?.currentReplicas ?? 0) < max) continue;
    // "High" means at or above the HPA's own target, else above a fixed utilization.
    const hot = (status?.currentMetrics ?? []).filter((m) => {
      const current = m.resource?.current?.averageUtilization;
      if (current === undefined) return false;
      const target = spec?.metrics?.find((t) => t.resource?.name === m.resource?.name)?.resource?.target
        ?.averageUtilization;
      return current >= (target ?? ctx.hpaHigh);
    });
    const limited = conditions(hpa).find((c) => c.type === "ScalingLimited" && c.status === "True");
    if (hot.length === 0 && limited?.reason !== "TooManyReplicas") continue;
    const metrics = hot.map((m) => `${m.resource?.name} at ${m.resource?.current?.averageUtilization}%`).join(", ");
    findings.push({
      analyzer: "hpa-at-max",
      severity: "warning",
      service: spec?.scaleTargetRef?.name ?? hpa.metadata.name,
      entity: entity(hpa, "HorizontalPodAutoscaler"),
      reason: "HPAAtMaxReplicas",
      message: `HPA ${hpa.metadata.name} is at its maximum of ${max} replicas${metrics ? ` with ${metrics}` : ""}; it cannot add capacity`,
      since: ms(limited?.lastTransitionTime),
      evidenceRef: `autoscaling/v2/namespaces/${hpa.metadata.namespace}/horizontalpodautoscalers/${hpa.metadata.name}`,
    });
  }
  return findings;
}

export function analyzeEvictions(snapshot: K8sSnapshot, options: K8sAnalyzerOptions): K8sFinding[] {
  const ctx = new Context(snapshot, options);
  const findings: K8sFinding[] = [];
  const seen = new Set<string>();
  for (const pod of snapshot.pods ?? []) {
    const status = pod.status as { reason?: string; message?: string; startTime?: string } | undefined;
    const event = eventsFor(snapshot.events ?? [], "Pod", pod, ["Evicted"], ctx.from)[0];
    if (status?.reason !== "Evicted" && !event) continue;
    seen.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
    findings.push(
      podFinding(ctx, pod, {
        analyzer: "eviction",
        severity: "warning",
        reason: "Evicted",
        message: `pod was evicted: ${event?.message ?? status?.message ?? "node pressure"}`,
        since: event ? eventTime(event) : undefined,
      }),
    );
  }
  // Evicted pods are often already gone; their events remain.
  for (const event of (snapshot.events ?? []) as Array<K8sObject & EventFields>) {
    const target = event.involvedObject;
    const t = eventTime(event);
    if (event.reason !== "Evicted" || target?.kind !== "Pod" || !target.name || !ctx.recent(t)) continue;
    const namespace = target.namespace ?? event.metadata.namespace;
    if (seen.has(`${namespace}/${target.name}`)) continue;
    seen.add(`${namespace}/${target.name}`);
    findings.push({
      analyzer: "eviction",
      severity: "warning",
      entity: { kind: "Pod", ...(namespace ? { namespace } : {}), name: target.name },
      reason: "Evicted",
      message: `pod was evicted: ${event.message ?? "node pressure"}`,
      since: t,
      evidenceRef: `v1/namespaces/${event.metadata.namespace}/events/${event.metadata.name}`,
    });
  }
  return findings;
}

export function analyzeRestarts(snapshot: K8sSnapshot, options: K8sAnalyzerOptions): K8sFinding[] {
  const ctx = new Context(snapshot, options);
  const before = new Map<string, number>();
  for (const pod of snapshot.previousPods ?? []) {
    for (const c of statuses(pod)) {
      before.set(`${pod.metadata.namespace}/${pod.metadata.name}/${c.name}`, c.restartCount ?? 0);
    }
  }
  const findings: K8sFinding[] = [];
  for (const pod of snapshot.pods ?? []) {
    for (const c of statuses(pod)) {
      // A crash loop is reported by its own analyzer.
      if (c.state?.waiting?.reason === "CrashLoopBackOff") continue;
      const count = c.restartCount ?? 0;
      const previous = before.get(`${pod.metadata.namespace}/${pod.metadata.name}/${c.name}`);
      const grew = previous !== undefined && count > previous;
      const last = c.lastState?.terminated;
      const at = ms(last?.finishedAt);
      if (count === 0 || (!grew && !ctx.recent(at))) continue;
      const how = grew ? `${count - (previous ?? 0)} new restarts (${count} total)` : `restarted (${count} total)`;
      findings.push(
        podFinding(ctx, pod, {
          analyzer: "recent-restart",
          severity: "warning",
          reason: last?.reason ? `Restarted:${last.reason}` : "Restarted",
          message: `container ${c.name} ${how}${describeLast(c)}`,
          since: at,
        }),
      );
    }
  }
  return findings;
}

export const K8S_ANALYZERS = [
  analyzeCrashLoops,
  analyzeOomKills,
  analyzeImagePulls,
  analyzeUnschedulable,
  analyzeProbes,
  analyzeNodes,
  analyzeReplicas,
  analyzeHpas,
  analyzeEvictions,
  analyzeRestarts,
];

/** Every analyzer, critical findings first, then the earliest. */
export function runK8sAnalyzers(snapshot: K8sSnapshot, options: K8sAnalyzerOptions): K8sFinding[] {
  const findings = K8S_ANALYZERS.flatMap((analyze) => analyze(snapshot, options));
  const rank = { critical: 0, warning: 1 };
  return findings.sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] ||
      (a.since ?? Number.POSITIVE_INFINITY) - (b.since ?? Number.POSITIVE_INFINITY),
  );
}
