import type { MetricSeries, Topology } from "../../tools/interfaces.ts";
import { robustSpread } from "./robust-score.ts";
import { finite, median, quantile } from "./robust-stats.ts";

/**
 * Traffic shift: when a service fails early or returns before doing its work, the services it calls lose traffic
 * while it keeps receiving its own. A drop of request rate at a callee is then the caller's doing, not the callee's;
 * and a caller whose callees lost traffic while its own traffic held is a likely origin.
 *
 * Works on request-rate series (kind `request_rate`, one or several per service) and on call-edge series (labels
 * `source_service`/`destination_service` or `source_workload`/`destination_workload`) that stop reporting.
 */

/** A callee's traffic must fall by at least this share to count as lost. */
export const MIN_LOSS = 0.6;
/** A caller whose own traffic fell by more than this share is not "still receiving" it. */
export const MAX_OWN_LOSS = 0.3;
/** The fall must also be this many baseline spreads, so noisy low-rate series do not trip it. */
const MIN_LOSS_SPREADS = 3;
/** A fall to (almost) nothing, held over two points, is a loss whatever the baseline noise. */
const NEAR_TOTAL_LOSS = 0.9;

export interface TrafficLevel {
  service: string;
  /** Baseline level (upper quartile of the baseline, summed over the service's series). */
  before: number;
  /** Level the series stayed at after the split (second-lowest post-split point, summed). */
  after: number;
  /** 1 - after / before, clamped to [0, 1]. */
  loss: number;
  /** Whether the fall is beyond the baseline noise in every contributing series taken together. */
  significant: boolean;
  series: MetricSeries[];
}

export interface VanishedEdge {
  source: string;
  destination: string;
  series: MetricSeries;
}

export interface TrafficOrigin {
  service: string;
  /** Sum over lost callees of their loss, shared among the callers that could have stopped calling them. */
  weight: number;
  /** Callees that lost traffic with this service as a caller that kept its own. */
  callees: Array<{ service: string; loss: number; share: number; vanished: boolean }>;
  /** This service's own traffic change (0 = held), when it has request-rate series. */
  ownLoss?: number;
}

function isEdgeSeries(s: MetricSeries): boolean {
  return Boolean(
    (s.labels.source_service || s.labels.source_workload) &&
      (s.labels.destination_service || s.labels.destination_workload),
  );
}

/** The level a series stayed at after the split: its second-lowest point (one low sample is not a loss). */
function sustainedLow(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length >= 2 ? sorted[1] : sorted[0];
}

/**
 * Per-service request-rate levels before and after `splitAt`. The baseline level is the upper quartile, not the
 * median: a baseline that holds the tail of an earlier incident (traffic down) must not hide a new loss.
 */
export function trafficLevels(series: MetricSeries[], splitAt: number): Map<string, TrafficLevel> {
  const acc = new Map<
    string,
    { before: number; after: number; spread2: number; postPoints: number; series: MetricSeries[] }
  >();
  for (const s of series) {
    if (s.kind !== "request_rate" || isEdgeSeries(s)) continue;
    const service = s.labels.service ?? s.labels.service_name ?? s.labels.app ?? s.labels.job;
    if (!service) continue;
    const base = finite(s.points.filter(([t]) => t < splitAt).map(([, v]) => v));
    const post = finite(s.points.filter(([t]) => t >= splitAt).map(([, v]) => v));
    if (base.length < 3 || post.length === 0) continue;
    const before = quantile(base, 0.75);
    const after = sustainedLow(post);
    // Noise is measured on the baseline's normal traffic: stretches where it had already halved are an earlier
    // incident's loss, not the spread a new loss has to clear.
    const normal = base.filter((v) => v >= before * 0.5);
    const ref = normal.length >= 3 ? normal : base;
    const spread = Math.max(robustSpread(ref, median(ref)), Math.abs(before) * 0.05, 1e-9);
    const entry = acc.get(service) ?? {
      before: 0,
      after: 0,
      spread2: 0,
      postPoints: Number.POSITIVE_INFINITY,
      series: [],
    };
    entry.before += before;
    entry.after += after;
    entry.spread2 += spread * spread;
    entry.postPoints = Math.min(entry.postPoints, post.length);
    entry.series.push(s);
    acc.set(service, entry);
  }
  const out = new Map<string, TrafficLevel>();
  for (const [service, e] of acc) {
    if (e.before <= 0) continue;
    const loss = Math.min(1, Math.max(0, 1 - e.after / e.before));
    const significant =
      (e.before - e.after) / Math.sqrt(e.spread2) >= MIN_LOSS_SPREADS || (loss >= NEAR_TOTAL_LOSS && e.postPoints >= 2);
    out.set(service, { service, before: e.before, after: e.after, loss, significant, series: e.series });
  }
  return out;
}

/**
 * Call-edge series that reported through the baseline and fell silent after the split (no finite point from
 * `splitAt` to `until`, while at least two steps of that span were observable).
 */
export function vanishedEdges(series: MetricSeries[], splitAt: number, until: number, stepMs: number): VanishedEdge[] {
  if (until - splitAt < 2 * stepMs) return [];
  const out: VanishedEdge[] = [];
  const seen = new Set<string>();
  for (const s of series) {
    if (!isEdgeSeries(s)) continue;
    const source = s.labels.source_service ?? s.labels.source_workload;
    const destination = s.labels.destination_service ?? s.labels.destination_workload;
    if (!source || !destination || source === destination) continue;
    const basePts = s.points.filter(([t]) => t < splitAt);
    const base = finite(basePts.map(([, v]) => v));
    if (base.length < 3 || base.length < 0.6 * basePts.length) continue;
    // The edge reported until shortly before the split: a series that stopped long ago says nothing about now.
    const lastSeen = Math.max(...basePts.filter(([, v]) => typeof v === "number").map(([t]) => t));
    if (lastSeen < splitAt - 3 * stepMs) continue;
    const post = finite(s.points.filter(([t]) => t >= splitAt && t <= until).map(([, v]) => v));
    if (post.length > 0) continue;
    const key = `${source}->${destination}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ source, destination, series: s });
  }
  return out;
}

/** Callers per callee from `calls` edges. */
function callersOf(topology: Topology): Map<string, Set<string>> {
  const callers = new Map<string, Set<string>>();
  for (const e of topology.edges) {
    if (e.kind !== "calls" || e.from === e.to) continue;
    const set = callers.get(e.to) ?? new Set<string>();
    set.add(e.from);
    callers.set(e.to, set);
  }
  return callers;
}

/**
 * Which callers stopped calling their callees. Each callee that lost traffic passes its loss to the callers that
 * kept their own traffic (a caller that lost traffic too is only passing on a loss from further up), in equal shares;
 * a call edge that fell silent puts the whole of it on its source.
 */
export function trafficOrigins(
  levels: Map<string, TrafficLevel>,
  vanished: VanishedEdge[],
  topology: Topology | undefined,
): TrafficOrigin[] {
  const callers = topology ? callersOf(topology) : new Map<string, Set<string>>();
  for (const v of vanished) {
    const set = callers.get(v.destination) ?? new Set<string>();
    set.add(v.source);
    callers.set(v.destination, set);
  }
  const kept = (service: string) => {
    const level = levels.get(service);
    return !level || level.loss <= MAX_OWN_LOSS || !level.significant;
  };
  const lost = [...levels.values()].filter((l) => l.loss >= MIN_LOSS && l.significant);
  const origins = new Map<string, TrafficOrigin>();
  const add = (caller: string, callee: string, loss: number, share: number, isVanished: boolean) => {
    const origin = origins.get(caller) ?? {
      service: caller,
      weight: 0,
      callees: [],
      ownLoss: levels.get(caller)?.loss,
    };
    const existing = origin.callees.find((c) => c.service === callee);
    if (existing) {
      if (share > existing.share) {
        origin.weight += (share - existing.share) * loss;
        existing.share = share;
      }
      existing.vanished ||= isVanished;
    } else {
      origin.callees.push({ service: callee, loss, share, vanished: isVanished });
      origin.weight += share * loss;
    }
    origins.set(caller, origin);
  };
  for (const callee of lost) {
    const candidates = [...(callers.get(callee.service) ?? [])].filter((c) => c !== callee.service && kept(c));
    for (const caller of candidates) add(caller, callee.service, callee.loss, 1 / candidates.length, false);
  }
  for (const v of vanished) {
    if (!kept(v.source)) continue;
    add(v.source, v.destination, Math.max(levels.get(v.destination)?.loss ?? 1, MIN_LOSS), 1, true);
  }
  return [...origins.values()].sort((a, b) => b.weight - a.weight || a.service.localeCompare(b.service));
}

/** A callee lost at least this share, with this caller as its only possible source, is enough on its own. */
const DECISIVE_LOSS = 0.9;

/**
 * Whether an origin is more than noise: a call edge from it fell silent, several of its callees lost traffic, or a
 * callee that only it calls lost (almost) all of it. One partial loss of a low-rate callee happens by chance.
 */
export function isConvincingOrigin(origin: TrafficOrigin): boolean {
  if (origin.callees.some((c) => c.vanished)) return true;
  if (origin.callees.some((c) => c.share >= 1 && c.loss >= DECISIVE_LOSS)) return true;
  return origin.callees.length >= 2;
}

/** Mechanism of a traffic-origin hypothesis; its evidence names (in `service`) the callees it left uncalled. */
export const TRAFFIC_ORIGIN_MECHANISM = "stopped calling its callees";

/** Services whose traffic loss is explained by a caller that kept its own traffic, with their largest loss. */
export function explainedLosses(origins: TrafficOrigin[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of origins) for (const c of o.callees) out.set(c.service, Math.max(out.get(c.service) ?? 0, c.loss));
  return out;
}
