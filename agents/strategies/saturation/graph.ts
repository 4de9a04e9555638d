import { Annotation, END, type LangGraphRunnableConfig, START, StateGraph } from "@langchain/langgraph";
import type { K8sObject, MetricKind, MetricSeries } from "../../../tools/interfaces.ts";
import { groupBy } from "../../analysis/group-by.ts";
import { minBaselinePoints, type SeriesScore, scoreSeries } from "../../analysis/robust-score.ts";
import { finite } from "../../analysis/robust-stats.ts";
import { seriesEntity, seriesOwner } from "../../analysis/series-owner.ts";
import { idleCpuEntities, isIdleCpu, utilizationOf } from "../../analysis/utilization.ts";
import { metricEvidence } from "../../evidence.ts";
import { toolsFrom } from "../../investigate/state.ts";
import type { Evidence, FaultClass, Hypothesis, StrategyReport } from "../../types.ts";
import { latest, strategyChannels } from "../strategy-channels.ts";
import { limitsFromPods, matchingLimitSeries, memoryUnit } from "./limits.ts";

export const SATURATION = "saturation";

const KINDS: MetricKind[] = ["cpu", "cpu_throttle", "mem", "disk_usage", "socket", "other"];
/** A resource must have moved beyond the baseline noise (robust spreads) before its level is a lead. */
const MIN_SCORE = 4;
/** Share of a limit (or of a full ratio) that counts as saturated. */
const NEAR_LIMIT = 0.9;
/** CPU throttling ratio that hurts latency. */
const THROTTLE_HIGH = 0.25;
/** Resource-pool names: connection pools, thread pools, sockets, in-use counters. */
const POOL_NAME = /pool|connection|thread|socket|in_?use|busy|active/i;

const State = Annotation.Root({
  ...strategyChannels,
  series: latest<MetricSeries[]>(() => []),
  pods: latest<K8sObject[]>(() => []),
});
type S = typeof State.State;

async function collect(state: S, config: LangGraphRunnableConfig) {
  const tools = toolsFrom(config);
  if (!tools.metrics) return { checked: ["metrics: no source configured, no saturation to check"] };
  const { frame } = state;
  const available = new Set(await tools.metrics.kinds());
  const kinds = KINDS.filter((k) => available.has(k));
  const results = await Promise.all(kinds.map((k) => tools.metrics?.querySignal(k, frame.window, frame.stepMs)));
  const series: MetricSeries[] = [];
  const errors: string[] = [];
  for (const [i, result] of results.entries()) {
    if (!result) continue;
    if (result.ok) series.push(...result.data);
    else errors.push(`metrics ${kinds[i]}: ${result.error.kind}: ${result.error.message}`);
  }
  const checked = [`${series.length} resource series (${kinds.join(", ") || "no resource kinds"})`];
  // Pod specs give CPU and memory limits when no limit series exists.
  let pods: K8sObject[] = [];
  if (tools.cluster) {
    const namespace = frame.alert.labels.namespace;
    const result = await tools.cluster.list("pods", namespace ? { namespace } : {});
    if (result.ok) pods = result.data;
    else errors.push(`kubernetes pods: ${result.error.kind}: ${result.error.message}`);
  }
  return { series, pods, errors, checked };
}

interface Lead {
  service: string;
  faultClass: FaultClass;
  mechanism: string;
  weight: number;
  series: MetricSeries;
  scored: SeriesScore;
  /** Its level against a known limit says it ran out, not only that it moved. */
  atLimit?: boolean;
}

/** A stand-in score for a series with no baseline: its own level, nothing to compare with. */
function freshScore(points: Array<[number, number | null]>): SeriesScore {
  const values = finite(points.map(([, v]) => v));
  const observed = values.length ? Math.max(...values) : 0;
  return { deviation: 0, score: 0, sustained: 0, baseline: 0, observed, baselinePoints: 0, testPoints: values.length };
}

function peakAfter(points: Array<[number, number | null]>, splitAt: number): number {
  const after = finite(points.filter(([t]) => t >= splitAt).map(([, v]) => v));
  return after.length ? Math.max(...after) : 0;
}

/**
 * A lead's weight: how close to the limit, how far beyond the baseline. A limit reached is strong evidence; a level
 * with no known limit is weak; a resource well below its limit is not saturated at all (undefined).
 */
export function saturationWeight(utilization: number | undefined, score: number): number | undefined {
  const moved = Math.min(1, Math.log2(1 + score) / 8);
  if (utilization === undefined) return 0.15 + 0.2 * moved;
  if (utilization < NEAR_LIMIT) return undefined;
  return Math.min(0.9, 0.6 + 0.2 * moved + 0.5 * Math.min(0.2, utilization - NEAR_LIMIT));
}

/**
 * How full a CPU series is: against the pod's limit when known; from its own unit when it is a percentage or a ratio,
 * but only when near full (a percentage says "of something": a request, a limit, a core); a node-level ratio as is.
 */
function cpuUtilization(series: MetricSeries, peak: number, limitCores: number | undefined): number | undefined {
  if (limitCores) return utilizationOf(series, peak, limitCores);
  const stated = utilizationOf(series, peak);
  if (stated !== undefined) return stated >= NEAR_LIMIT ? stated : undefined;
  return peak <= 1 && !series.labels.pod ? peak : undefined;
}

/** Throttling slows a container without it being at fault alone (a noisy neighbour throttles its victims). */
export function throttleWeight(ratio: number): number {
  return 0.3 + 0.25 * Math.min(1, ratio);
}

/** Leads weaker than this stay in `checked`. */
const MIN_LEAD = 0.25;

function analyse(state: S) {
  const started = Date.now();
  const { frame } = state;
  const limits = limitsFromPods(state.pods);
  const limitSeries = state.series.filter((s) => s.kind === "other" && /limit/i.test(s.name));
  const idleCpu = idleCpuEntities(state.series, frame.splitAt);
  const minBaseline = minBaselinePoints(frame);
  const leads: Lead[] = [];
  const counts = { throttle: 0, cpu: 0, mem: 0, disk: 0, pool: 0 };
  for (const s of state.series) {
    const service = seriesOwner(s);
    if (!service) continue;
    if (s.kind === "other" && !POOL_NAME.test(s.name)) continue;
    const baselined = scoreSeries(s.points, frame.splitAt, s.kind === "other" ? "socket" : s.kind, { minBaseline });
    // A pod that started in the window (a rollout, a restart) has no baseline of its own: only its level against
    // its limit can speak for it.
    const fresh = !baselined && (s.kind === "mem" || s.kind === "cpu") && Boolean(s.labels.pod);
    if (!fresh && (!baselined || baselined.deviation < MIN_SCORE)) continue;
    const scored = baselined ?? freshScore(s.points);
    const peak = peakAfter(s.points, frame.splitAt);
    const podLimits = limits.get(`${s.labels.pod}/${s.labels.container}`) ?? limits.get(s.labels.pod ?? "");
    if (s.kind === "cpu_throttle") {
      if (peak < THROTTLE_HIGH) continue;
      counts.throttle += 1;
      leads.push({
        service,
        faultClass: "cpu",
        mechanism: `CPU throttled ${(peak * 100).toFixed(0)}% of periods`,
        weight: throttleWeight(peak),
        series: s,
        scored,
      });
    } else if (s.kind === "cpu") {
      if (isIdleCpu(s, idleCpu)) continue;
      const utilization = cpuUtilization(s, peak, podLimits?.cpuCores);
      if (fresh && utilization === undefined) continue;
      counts.cpu += 1;
      leads.push({
        service,
        faultClass: "cpu",
        mechanism:
          utilization !== undefined ? `CPU at ${(utilization * 100).toFixed(0)}% of its limit` : "CPU usage up",
        weight: saturationWeight(utilization, scored.score) ?? 0,
        series: s,
        scored,
        atLimit: utilization !== undefined,
      });
    } else if (s.kind === "mem") {
      const limitLine = matchingLimitSeries(s, limitSeries);
      const limitValue = limitLine ? peakAfter(limitLine.points, frame.splitAt) : undefined;
      const bytes = podLimits?.memoryBytes;
      const utilization = limitValue ? peak / limitValue : bytes ? (peak * memoryUnit(s)) / bytes : undefined;
      if (fresh && utilization === undefined) continue;
      counts.mem += 1;
      leads.push({
        service,
        faultClass: "mem",
        mechanism:
          utilization !== undefined ? `memory at ${(utilization * 100).toFixed(0)}% of its limit` : "memory usage up",
        weight: saturationWeight(utilization, scored.score) ?? 0,
        series: s,
        scored,
        atLimit: utilization !== undefined,
      });
    } else if (s.kind === "disk_usage") {
      const utilization = peak <= 1 ? peak : peak <= 100 ? peak / 100 : undefined;
      counts.disk += 1;
      leads.push({
        service,
        faultClass: "disk",
        mechanism: `disk usage ${utilization !== undefined ? `at ${(utilization * 100).toFixed(0)}%` : "up"}`,
        weight: saturationWeight(utilization, scored.score) ?? 0,
        series: s,
        scored,
      });
    } else if (s.kind === "socket" || POOL_NAME.test(s.name)) {
      counts.pool += 1;
      // A client-side pool fills up while it waits for slow callees: it points away from its owner, so it counts less.
      const clientSide = /client/i.test(s.name) || s.labels.side === "client";
      leads.push({
        service,
        faultClass: "socket",
        mechanism: `${s.name} up (pool/socket use ${scored.baseline} → ${scored.observed})`,
        weight: (saturationWeight(undefined, scored.score) ?? 0) * (clientSide ? 0.6 : 1),
        series: s,
        scored,
      });
    }
  }
  const byService = groupBy(
    leads.filter((lead) => lead.weight >= MIN_LEAD),
    (lead) => lead.service,
  );
  const hypotheses: Hypothesis[] = [];
  let counter = 0;
  for (const [service, list] of byService) {
    list.sort((a, b) => b.weight - a.weight);
    const top = list[0];
    // Several saturated resources of one kind (all pods at their limit) corroborate; different kinds less so.
    const same = list.filter((l) => l.faultClass === top.faultClass);
    const score = Math.min(0.92, top.weight + 0.05 * Math.min(3, same.length - 1));
    const evidence: Evidence[] = list.slice(0, 3).map((l) => {
      counter += 1;
      return metricEvidence({
        id: `${SATURATION}-${counter}`,
        series: l.series,
        service,
        scored: l.scored,
        from: frame.window.from,
        to: frame.window.to,
      });
    });
    hypotheses.push({
      service,
      entity: seriesEntity(top.series),
      faultClass: top.faultClass,
      mechanism: top.mechanism,
      score,
      strategy: SATURATION,
      evidence,
      ...(top.atLimit ? { explains: true } : {}),
    });
  }
  hypotheses.sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
  const report: StrategyReport = {
    name: SATURATION,
    durationMs: Date.now() - started,
    toolCalls: 0,
    checked: [
      ...state.checked,
      `limits known for ${limits.size} pod containers from specs, ${limitSeries.length} limit series`,
      `rising beyond the baseline: ${counts.throttle} throttling, ${counts.cpu} CPU, ${counts.mem} memory, ${counts.disk} disk, ${counts.pool} pool/socket series`,
      `${hypotheses.length} services with a saturated resource`,
    ],
    hypotheses,
    errors: state.errors,
  };
  return { report };
}

/**
 * saturation: resources running out, per service. CPU throttling, CPU and memory against their limits (limit series
 * or pod specs), disk usage, and connection/thread/socket pools, each robustly scored against the baseline and then
 * judged by its absolute level (above 90% of a limit is saturated).
 */
export function buildSaturationGraph() {
  return new StateGraph(State)
    .addNode("collect", collect)
    .addNode("analyse", analyse)
    .addEdge(START, "collect")
    .addEdge("collect", "analyse")
    .addEdge("analyse", END)
    .compile({ name: SATURATION });
}
