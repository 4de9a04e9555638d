import type { ChangeEvent, K8sObject, MetricSeries } from "../../../tools/interfaces.ts";
import { detectChangePoint } from "../../analysis/change-point.ts";
import { k8sObjectRef, serviceOfName } from "../../analysis/evidence-refs.ts";
import { type K8sFinding, podService } from "../../analysis/k8s-analyzers.ts";
import { minBaselinePoints, scoreSeries } from "../../analysis/robust-score.ts";
import { finite, median } from "../../analysis/robust-stats.ts";
import type { FaultClass } from "../../types.ts";

/** What one finding says about one service, before findings of the same service are combined. */
export interface Lead {
  service: string;
  entity?: string;
  faultClass: FaultClass;
  mechanism: string;
  /** Strength in [0, 1] after the recency factor. */
  weight: number;
  ref: string;
  /** What `ref` reopens: a Kubernetes object (default) or, for a noisy neighbour, the metric series that shows it. */
  refType?: "k8s" | "metric";
  summary: string;
  since?: number;
  /** For a noisy neighbour: the services of the other pods on its node. */
  crowds?: string[];
}

export interface LeadContext {
  /** Baseline end: points before it are normal. */
  splitAt: number;
  windowFrom: number;
  stepMs: number;
  /** Pods, for ownership and node placement. */
  pods: K8sObject[];
  replicasets: K8sObject[];
  events: K8sObject[];
  changes: ChangeEvent[];
  known: Set<string>;
}

/** How far before the onset a finding still counts as part of this incident. */
export function lookbackMs(stepMs: number): number {
  return Math.max(30 * 60_000, 6 * stepMs);
}

/**
 * Recency: a condition that began shortly before (or after) the onset explains the alert; one that began before the
 * data window is chronic and explains little (a pod crash-looping for days did not start this incident).
 */
export function recencyFactor(
  startedAt: number | undefined,
  ctx: Pick<LeadContext, "splitAt" | "windowFrom" | "stepMs">,
) {
  if (startedAt === undefined) return 0.85;
  if (startedAt >= ctx.splitAt - lookbackMs(ctx.stepMs)) return 1;
  if (startedAt >= ctx.windowFrom) return 0.8;
  return 0.35;
}

function ms(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

/** The earliest Warning event about the finding's object: when the trouble began, not when it was last seen. */
function firstWarning(f: K8sFinding, events: K8sObject[]): number | undefined {
  let first: number | undefined;
  for (const e of events) {
    const fields = e as K8sObject & {
      involvedObject?: { kind?: string; name?: string; namespace?: string };
      type?: string;
      firstTimestamp?: string;
      eventTime?: string;
    };
    const target = fields.involvedObject;
    if (fields.type !== "Warning" || target?.kind !== f.entity.kind || target.name !== f.entity.name) continue;
    if ((target.namespace ?? e.metadata.namespace) !== f.entity.namespace) continue;
    const t = ms(fields.firstTimestamp) ?? ms(fields.eventTime) ?? ms(e.metadata.creationTimestamp);
    if (t !== undefined && (first === undefined || t < first)) first = t;
  }
  return first;
}

function findPod(f: K8sFinding, pods: K8sObject[]): K8sObject | undefined {
  if (f.entity.kind !== "Pod") return undefined;
  return pods.find((p) => p.metadata.name === f.entity.name && p.metadata.namespace === f.entity.namespace);
}

/** "(25 times)" in a probe message: one failed probe is noise, a series of them is a fault. */
function repeatCount(message: string): number {
  const m = /\((\d+) times\)/.exec(message);
  return m ? Number(m[1]) : 1;
}

/** A config change to the same service shortly before the crash explains it better than a code bug. */
function configChangeBefore(service: string, at: number | undefined, ctx: LeadContext): ChangeEvent | undefined {
  const until = at ?? Number.POSITIVE_INFINITY;
  const from = ctx.splitAt - lookbackMs(ctx.stepMs);
  return ctx.changes.find((c) => {
    if (c.t < from || c.t > until) return false;
    if (!/config/i.test(`${c.type} ${c.entity.kind}`)) return false;
    const owner = c.service && ctx.known.has(c.service) ? c.service : serviceOfName(c.entity.name, ctx.known);
    return owner === service || c.entity.name === service;
  });
}

interface Judgement {
  faultClass: FaultClass;
  mechanism: string;
  weight: number;
}

function judge(f: K8sFinding, service: string, ctx: LeadContext, startedAt: number | undefined): Judgement | undefined {
  switch (f.analyzer) {
    case "oom-killed":
      return { faultClass: "mem", mechanism: "OOM-killed at its memory limit", weight: 0.85 };
    case "crash-loop": {
      if (/OOMKilled/.test(f.message)) return { faultClass: "mem", mechanism: "crash loop of OOM kills", weight: 0.85 };
      const pod = findPod(f, ctx.pods);
      // A crash-looping stateful workload is a database or cache that is down: its callers see a dependency outage.
      if (pod?.metadata.ownerReferences?.[0]?.kind === "StatefulSet")
        return { faultClass: "dependency", mechanism: "backing service crash-looping (down)", weight: 0.8 };
      const config = configChangeBefore(service, startedAt ?? f.since, ctx);
      if (config)
        return {
          faultClass: "config_change",
          mechanism: `crash loop after config change (${config.description})`,
          weight: 0.8,
        };
      return { faultClass: "code_error", mechanism: "crash loop", weight: 0.8 };
    }
    case "image-pull":
      return { faultClass: "config_change", mechanism: "image cannot be pulled", weight: 0.85 };
    case "unschedulable":
      return { faultClass: "capacity", mechanism: "pods cannot be scheduled", weight: 0.8 };
    case "probe-failure": {
      if (f.reason === "LivenessProbeFailed")
        return { faultClass: "code_error", mechanism: "liveness probe failing", weight: 0.6 };
      if (f.reason === "NotReady") return { faultClass: "code_error", mechanism: "container not ready", weight: 0.3 };
      // One failed readiness probe happens on a healthy cluster; a run of them takes the pod out of service.
      const count = repeatCount(f.message);
      return { faultClass: "code_error", mechanism: "readiness probe failing", weight: count >= 3 ? 0.6 : 0.15 };
    }
    case "replica-mismatch":
      return {
        faultClass: "capacity",
        mechanism: f.reason === "NoReadyReplicas" ? "no ready replicas" : "replicas unavailable",
        weight: f.reason === "NoReadyReplicas" ? 0.5 : 0.35,
      };
    case "hpa-at-max":
      return { faultClass: "capacity", mechanism: "autoscaler pinned at its maximum", weight: 0.7 };
    case "eviction": {
      const faultClass: FaultClass = /memory/i.test(f.message)
        ? "mem"
        : /disk|ephemeral|storage/i.test(f.message)
          ? "disk"
          : "capacity";
      return { faultClass, mechanism: "pods evicted", weight: 0.45 };
    }
    case "recent-restart":
      if (/OOMKilled/.test(f.reason)) return { faultClass: "mem", mechanism: "restarted after OOM kill", weight: 0.6 };
      return { faultClass: "code_error", mechanism: "container restarted", weight: 0.35 };
    default:
      return undefined;
  }
}

function serviceOfFinding(f: K8sFinding, ctx: LeadContext): string | undefined {
  if (f.service) return f.service;
  const pod = findPod(f, ctx.pods);
  if (pod) return podService(pod, ctx.replicasets);
  return serviceOfName(f.entity.name, ctx.known);
}

/** Turn the analyzers' findings (except node conditions, see `nodeLeads`) into per-service leads. */
export function findingLeads(findings: K8sFinding[], ctx: LeadContext): Lead[] {
  const leads: Lead[] = [];
  for (const f of findings) {
    if (f.analyzer === "node-condition") continue;
    const service = serviceOfFinding(f, ctx);
    if (!service) continue;
    const warned = firstWarning(f, ctx.events);
    const startedAt = warned !== undefined && (f.since === undefined || warned < f.since) ? warned : f.since;
    const judged = judge(f, service, ctx, startedAt);
    if (!judged) continue;
    leads.push({
      service,
      entity: f.entity.name,
      faultClass: judged.faultClass,
      mechanism: judged.mechanism,
      weight: judged.weight * recencyFactor(startedAt, ctx),
      ref: k8sObjectRef(f.entity),
      summary: `${f.entity.kind} ${f.entity.namespace ? `${f.entity.namespace}/` : ""}${f.entity.name}: ${f.message}`,
      since: startedAt,
    });
  }
  return leads;
}

function nodeOf(pod: K8sObject): string | undefined {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName;
}

/** Services with pods on `node` (from pod specs and from the node label of pod series), except `except`. */
function servicesOnNode(node: string, series: MetricSeries[], ctx: LeadContext, except: string): string[] {
  const services = new Set<string>();
  for (const pod of ctx.pods) {
    if (nodeOf(pod) !== node) continue;
    const service = serviceOfName(pod.metadata.name, ctx.known);
    if (service) services.add(service);
  }
  for (const s of series) {
    if (s.labels.node !== node || !s.labels.pod) continue;
    const service = s.labels.service ?? serviceOfName(s.labels.pod, ctx.known);
    if (service) services.add(service);
  }
  services.delete(except);
  return [...services].sort();
}

/**
 * How much a pod's series rose after the split: mean after minus its baseline. A pod without a baseline of its own
 * (it started in the window) is compared with its service's other pods, so a rollout's replacement pod is no rise;
 * a pod of a service that had no pods at all (a batch job scaled up from zero) brings all of its load as new.
 */
export function addedLoad(series: MetricSeries, all: MetricSeries[], splitAt: number): number {
  const before = finite(series.points.filter(([t]) => t < splitAt).map(([, v]) => v));
  const after = finite(series.points.filter(([t]) => t >= splitAt).map(([, v]) => v));
  if (after.length === 0) return 0;
  const mean = after.reduce((a, b) => a + b, 0) / after.length;
  if (before.length >= 3) return mean - median(before);
  const siblings = all.filter(
    (s) => s !== series && s.kind === series.kind && s.labels.pod && s.labels.service === series.labels.service,
  );
  const siblingBaseline = finite(siblings.flatMap((s) => s.points.filter(([t]) => t < splitAt).map(([, v]) => v)));
  return mean - (siblingBaseline.length > 0 ? median(siblingBaseline) : 0);
}

const NODE_CLASS: Record<string, FaultClass> = {
  MemoryPressure: "mem",
  DiskPressure: "disk",
  PIDPressure: "capacity",
  NetworkUnavailable: "network_loss",
  NodeNotReady: "capacity",
};

/** The pod on a node whose series of a kind rose the most, if one clearly dominates. */
export function heaviestRise(
  series: MetricSeries[],
  node: string,
  splitAt: number,
): { series: MetricSeries; added: number } | undefined {
  const rises = series
    .filter((s) => s.labels.pod && s.labels.node === node)
    .map((s) => ({ series: s, added: addedLoad(s, series, splitAt) }))
    .filter((r) => r.added > 0)
    .sort((a, b) => b.added - a.added);
  const [top, second] = rises;
  if (!top) return undefined;
  // A clear culprit only: twice the next pod's rise, else several pods share the blame.
  if (second && second.added * 2 > top.added) return undefined;
  return top;
}

/**
 * Node conditions blame the node's heaviest pod (largest rise of the matching resource) when metrics say which one,
 * else every service with pods there, weakly.
 */
export function nodeLeads(findings: K8sFinding[], series: MetricSeries[], ctx: LeadContext): Lead[] {
  const leads: Lead[] = [];
  for (const f of findings) {
    if (f.analyzer !== "node-condition") continue;
    const node = f.entity.name;
    const faultClass = NODE_CLASS[f.reason] ?? "capacity";
    const factor = recencyFactor(f.since, ctx);
    const kind = faultClass === "mem" ? "mem" : faultClass === "disk" ? "disk_usage" : "cpu";
    const heavy = heaviestRise(
      series.filter((s) => s.kind === kind),
      node,
      ctx.splitAt,
    );
    const summary = `Node ${node}: ${f.message}`;
    const ref = k8sObjectRef(f.entity);
    if (heavy) {
      const service = heavy.series.labels.service ?? serviceOfName(heavy.series.labels.pod ?? "", ctx.known);
      if (service) {
        leads.push({
          service,
          entity: heavy.series.labels.pod,
          faultClass,
          mechanism: `${f.reason} on ${node}, driven by this pod`,
          weight: 0.7 * factor,
          ref,
          summary,
          since: f.since,
        });
        continue;
      }
    }
    const services = new Set<string>();
    for (const pod of ctx.pods) {
      if (nodeOf(pod) !== node) continue;
      const service = podService(pod, ctx.replicasets);
      if (service) services.add(service);
    }
    for (const service of services) {
      leads.push({
        service,
        entity: node,
        faultClass,
        mechanism: `${f.reason} on ${node}`,
        weight: 0.25 * factor,
        ref,
        summary,
      });
    }
  }
  return leads;
}

/** Whether a service's request rate rose beyond the noise after the split. */
function trafficRose(series: MetricSeries[], service: string, splitAt: number): boolean {
  return series.some((s) => {
    if (s.kind !== "request_rate" || s.labels.service !== service) return false;
    const scored = scoreSeries(s.points, splitAt, "request_rate");
    return scored !== undefined && scored.deviation >= NODE_PRESSURE_SCORE;
  });
}

/** Node-level CPU series: a node label, no pod and no service. */
function isNodeSeries(s: MetricSeries): boolean {
  return Boolean(s.labels.node) && !s.labels.pod && !s.labels.service && !s.labels.container;
}

/** Robust score (in baseline spreads) beyond which a node's CPU counts as under pressure. */
const NODE_PRESSURE_SCORE = 4;
/** Utilisation ratio a node must reach for a robust rise to count as pressure. */
const NODE_BUSY_RATIO = 0.6;
/** Utilisation ratio that counts as pressure on its own. */
const NODE_PRESSURE_RATIO = 0.85;

/**
 * Noisy neighbour: a node whose CPU rose sharply, with one pod on it accounting for the rise (a sudden jump, or a pod
 * that appeared with heavy CPU). That pod's service is the cause; the other pods there are its victims.
 */
export function noisyNeighbourLeads(series: MetricSeries[], ctx: LeadContext): { leads: Lead[]; checked: string[] } {
  const cpu = series.filter((s) => s.kind === "cpu");
  const nodes = cpu.filter(isNodeSeries);
  if (nodes.length === 0) return { leads: [], checked: ["noisy neighbour: no node CPU series to check"] };
  const minBaseline = minBaselinePoints({ window: { from: ctx.windowFrom }, splitAt: ctx.splitAt, stepMs: ctx.stepMs });
  const leads: Lead[] = [];
  const hot: Array<{ node: string; splitAt: number; from: number; to: number }> = [];
  for (const nodeSeries of nodes) {
    const node = nodeSeries.labels.node as string;
    // The neighbour arrived when the node's CPU stepped up, which can be well before the alert.
    const cp = detectChangePoint(nodeSeries.points);
    const stepped = cp && cp.strength >= 0.5 && cp.after > cp.before && cp.at < ctx.splitAt;
    const splitAt = stepped ? Math.max(cp.at, ctx.windowFrom + minBaseline * ctx.stepMs) : ctx.splitAt;
    const scored = scoreSeries(nodeSeries.points, splitAt, "cpu", { minBaseline });
    const after = finite(nodeSeries.points.filter(([t]) => t >= splitAt).map(([, v]) => v));
    const level = after.length ? Math.max(...after) : 0;
    // A flat baseline makes small moves look large: a ratio must also be busy, an absolute value must have grown by half.
    const busy =
      level <= 1 ? level >= NODE_BUSY_RATIO : scored !== undefined && scored.observed >= 1.5 * scored.baseline;
    const pressured =
      (scored !== undefined && scored.deviation >= NODE_PRESSURE_SCORE && busy) ||
      (level <= 1 && level >= NODE_PRESSURE_RATIO);
    if (pressured) hot.push({ node, splitAt, from: scored?.baseline ?? 0, to: scored?.observed ?? level });
  }
  // When most nodes heat up together the load is cluster-wide (traffic, a scale-up), not one pod's neighbours.
  const clusterWide = nodes.length > 1 && hot.length * 2 > nodes.length;
  const loadDriven: string[] = [];
  for (const { node, splitAt, from, to } of clusterWide ? [] : hot) {
    const heavy = heaviestRise(cpu, node, splitAt);
    if (!heavy) continue;
    const pod = heavy.series.labels.pod as string;
    const ownScore = scoreSeries(heavy.series.points, splitAt, "cpu", { minBaseline });
    // A pod with no baseline of its own started during the window: all of its load is new.
    const appeared =
      heavy.series.points.filter(([t]) => t < splitAt).length < minBaseline &&
      (heavy.series.points[0]?.[0] ?? 0) > ctx.windowFrom + ctx.stepMs;
    // The pod itself must have jumped (or be new): a steady heavy pod on a busy node is not news.
    const ownBaseline = ownScore?.baseline ?? 0;
    const jumped =
      ownScore !== undefined && ownScore.deviation >= NODE_PRESSURE_SCORE && heavy.added >= 0.5 * Math.abs(ownBaseline);
    if (!appeared && !jumped) continue;
    const service = heavy.series.labels.service ?? serviceOfName(pod, ctx.known);
    if (!service) continue;
    // A pod whose service is serving more requests is busy because of traffic, not a neighbour stealing CPU.
    if (trafficRose(series, service, splitAt)) {
      loadDriven.push(service);
      continue;
    }
    leads.push({
      service,
      entity: pod,
      faultClass: "cpu",
      mechanism: `noisy neighbour: CPU jump of ${pod} on node ${node}`,
      weight: 0.75,
      ref: heavy.series.ref,
      refType: "metric",
      summary: `node ${node} CPU ${from.toPrecision(3)} → ${to.toPrecision(3)}; pod ${pod} added ${heavy.added.toPrecision(3)} ${appeared ? "(pod started in the window)" : "(sudden jump)"}`,
      since: ownScore?.onsetAt ?? heavy.series.points[0]?.[0],
      crowds: servicesOnNode(node, series, ctx, service),
    });
  }
  return {
    leads,
    checked: [
      `noisy neighbour: ${nodes.length} node CPU series, ${hot.length} under pressure${hot.length ? ` (${hot.map((h) => h.node).join(", ")})` : ""}${clusterWide ? ", cluster-wide so no single neighbour" : ""}${loadDriven.length ? `, ${loadDriven.join(", ")} busy with more traffic (not a neighbour)` : ""}, ${leads.length} with one pod driving it`,
    ],
  };
}
