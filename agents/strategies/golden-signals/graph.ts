import { Annotation, END, type LangGraphRunnableConfig, START, StateGraph } from "@langchain/langgraph";
import type { MetricSeries, Topology } from "../../../tools/interfaces.ts";
import { detectChangePoint } from "../../analysis/change-point.ts";
import { faultClassOfKind, mechanismOfKind } from "../../analysis/fault-class.ts";
import { minBaselinePoints, type SeriesScore, scoreSeries } from "../../analysis/robust-score.ts";
import { seriesEntity, seriesOwner } from "../../analysis/series-owner.ts";
import { familyOf, isClientSide, roleWeight, type SignalFamily } from "../../analysis/signal-role.ts";
import {
  explainedLosses,
  isConvincingOrigin,
  TRAFFIC_ORIGIN_MECHANISM,
  type TrafficOrigin,
  trafficLevels,
  trafficOrigins,
  vanishedEdges,
} from "../../analysis/traffic-shift.ts";
import { idleCpuEntities, isIdleCpu } from "../../analysis/utilization.ts";
import { metricEvidence } from "../../evidence.ts";
import { type InvestigationFrame, toolsFrom } from "../../investigate/state.ts";
import type { Evidence, Hypothesis, StrategyReport } from "../../types.ts";

export const GOLDEN_SIGNALS = "golden-signals";

/** Robust scores below this (in baseline spreads) are noise, not a lead. */
const MIN_LEAD_SCORE = 4;
/** Weights of a service's strongest, second and third anomalous series in its combined score. */
const CORROBORATION_WEIGHTS = [1, 0.5, 0.25];
/** A callee that lost this share of its traffic has too few requests left for its own signals to mean anything. */
const NO_TRAFFIC_LEFT = 0.9;

const State = Annotation.Root({
  frame: Annotation<InvestigationFrame>,
  series: Annotation<MetricSeries[]>({ reducer: (_l, r) => r, default: () => [] }),
  topology: Annotation<Topology | undefined>({ reducer: (_l, r) => r, default: () => undefined }),
  checked: Annotation<string[]>({ reducer: (l, r) => l.concat(r), default: () => [] }),
  errors: Annotation<string[]>({ reducer: (l, r) => l.concat(r), default: () => [] }),
  onset: Annotation<number | undefined>({ reducer: (_l, r) => r, default: () => undefined }),
  alertedOnset: Annotation<number | undefined>({ reducer: (_l, r) => r, default: () => undefined }),
  report: Annotation<StrategyReport | undefined>({ reducer: (_l, r) => r, default: () => undefined }),
});
type S = typeof State.State;

/**
 * Robust deviations are heavy-tailed (one series can sit a thousand spreads out): compare them on a log scale, so
 * that one wild series cannot outweigh consistent evidence. 4 spreads → 2.3, 30 → 5, 1000 → 10.
 */
export function logScore(score: number): number {
  return Math.log2(1 + Math.max(0, score));
}

/** Turn a weighted log score into a strength in [0, 1): 2.3 ≈ 0.28, 5 ≈ 0.45, 10 ≈ 0.63. */
export function strengthOf(weightedLog: number): number {
  return weightedLog / (weightedLog + 6);
}

/**
 * A series that stayed out counts more than one sample that strayed: the geometric mean of the peak and the second
 * most extreme post-split deviation. With one post-split point (coarse sampling) it is the peak.
 */
export function effectiveScore(scored: SeriesScore): number {
  return Math.sqrt(scored.score * scored.sustained);
}

async function collect(state: S, config: LangGraphRunnableConfig) {
  const tools = toolsFrom(config);
  if (!tools.metrics) return { errors: ["no metrics source configured"], checked: ["metrics: no source"] };
  const kinds = await tools.metrics.kinds();
  const results = await Promise.all(
    kinds.map((kind) => tools.metrics?.querySignal(kind, state.frame.window, state.frame.stepMs)),
  );
  const series: MetricSeries[] = [];
  const errors: string[] = [];
  for (const [i, result] of results.entries()) {
    if (!result) continue;
    if (result.ok) series.push(...result.data);
    else errors.push(`metrics ${kinds[i]}: ${result.error.kind}: ${result.error.message}`);
  }
  const topology = tools.topology ? await tools.topology.topology() : undefined;
  return {
    series,
    errors,
    topology: topology?.ok ? topology.data : undefined,
    checked: [`${series.length} series of ${kinds.length} metric kinds`],
  };
}

const SYMPTOM_KINDS = new Set([
  "latency_p50",
  "latency_p90",
  "latency_p99",
  "latency_avg",
  "error_rate",
  "success_rate",
]);

/**
 * When did the trouble begin? Change points of the latency and error series that moved after the baseline; the
 * earliest strong one (not before the baseline's first third) is the onset. Falls back to the frame's split.
 */
function locateOnset(state: S) {
  const { frame } = state;
  const earliestAllowed = frame.window.from + (frame.splitAt - frame.window.from) / 3;
  const onsets: number[] = [];
  const minBaseline = minBaselinePoints(frame);
  for (const s of state.series) {
    if (!SYMPTOM_KINDS.has(s.kind)) continue;
    const cp = detectChangePoint(s.points);
    if (!cp || cp.strength < 0.5 || cp.at < earliestAllowed || cp.at > frame.window.to) continue;
    const scored = scoreSeries(s.points, frame.splitAt, s.kind, { minBaseline });
    if (!scored || scored.score < MIN_LEAD_SCORE) continue;
    onsets.push(cp.at);
  }
  onsets.sort((a, b) => a - b);
  const onset = onsets[0];
  const alerted = alertedSymptomStep(state);
  const checked = [
    onset === undefined
      ? "change points: no latency or error series changed level clearly"
      : `change points: earliest latency/error change at ${new Date(onset).toISOString()}`,
  ];
  if (alerted !== undefined)
    checked.push(`change points: the alerted symptom stepped at ${new Date(alerted).toISOString()}`);
  return { onset, alertedOnset: alerted, checked };
}

/**
 * Where the alerted service's own symptom changed level, when that is near the alert (the alert fires on the
 * symptom, a step or two after it began, or on the step itself when the baseline is short). It places the split on
 * the data rather than on the alert's clock, which matters most when few baseline points exist.
 */
function alertedSymptomStep(state: S): number | undefined {
  const { frame } = state;
  const service = frame.alert.service;
  if (!service) return undefined;
  let best: { at: number; strength: number } | undefined;
  for (const s of state.series) {
    if (!SYMPTOM_KINDS.has(s.kind) || seriesOwner(s) !== service || isClientSide(s)) continue;
    const cp = detectChangePoint(s.points);
    if (!cp || cp.strength < 0.6) continue;
    const worse = (s.kind === "success_rate" ? cp.before - cp.after : cp.after - cp.before) > 0;
    if (!worse) continue;
    if (cp.at < frame.alert.startsAt - 3 * frame.stepMs || cp.at > frame.alert.startsAt + frame.stepMs) continue;
    if (!best || cp.strength > best.strength) best = { at: cp.at, strength: cp.strength };
  }
  return best?.at;
}

interface Scored {
  series: MetricSeries;
  service: string;
  family: SignalFamily;
  scored: SeriesScore;
  weighted: number;
}

/** Series that measure the same thing of the same entity: one family, the same labels (or the same call edge). */
function evidenceKey(x: Scored): string {
  // Both sides' reports of one call edge (the caller's and the callee's) measure the same requests.
  const l = x.series.labels;
  const from = l.source_service ?? l.source_workload;
  const to = l.destination_service ?? l.destination_workload;
  if (from && to) return `${x.family}|edge|${from}|${to}`;
  const labels = Object.entries(x.series.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return `${x.family}|${labels}`;
}

/** What an idle resource's rise is worth: CPU that stays near zero of its allotment starves nothing. */
const IDLE_WEIGHT = 0.3;

function rank(state: S) {
  const { frame } = state;
  // Score against the baseline before the alert (minus one step: alerts fire after their symptom began), or before
  // the detected onset when that is earlier.
  const splitAt = state.alertedOnset ?? Math.min(frame.splitAt, state.onset ?? frame.splitAt);
  // Traffic shift: callees that lost traffic while their caller kept its own were left uncalled; the loss is the
  // caller's doing, so it does not count against them.
  const levels = trafficLevels(state.series, splitAt);
  const origins = trafficOrigins(
    levels,
    vanishedEdges(state.series, splitAt, frame.window.to, frame.stepMs),
    state.topology,
  ).filter(isConvincingOrigin);
  const leftUncalled = explainedLosses(origins);
  const idleCpu = idleCpuEntities(state.series, splitAt);
  const minBaseline = minBaselinePoints(frame);
  const byService = new Map<string, Scored[]>();
  for (const s of state.series) {
    const service = seriesOwner(s);
    if (!service) continue;
    const uncalled = leftUncalled.get(service);
    // Its loss of traffic is its caller's doing; and with (almost) no requests left, its latency and error series
    // describe a handful of calls, not the service.
    if (uncalled !== undefined && (s.kind === "request_rate" || uncalled >= NO_TRAFFIC_LEFT)) continue;
    const scored = scoreSeries(s.points, splitAt, s.kind, { minBaseline });
    if (!scored) continue;
    const effective = effectiveScore(scored);
    if (effective < MIN_LEAD_SCORE) continue;
    const weighted = logScore(effective) * roleWeight(s) * (isIdleCpu(s, idleCpu) ? IDLE_WEIGHT : 1);
    const list = byService.get(service) ?? [];
    list.push({ series: s, service, family: familyOf(s.kind), scored, weighted });
    byService.set(service, list);
  }
  const hypotheses: Hypothesis[] = [];
  let counter = 0;
  for (const [service, list] of byService) {
    list.sort((a, b) => b.weighted - a.weighted);
    const top = list[0];
    // Consistent evidence beats one wild series: the next strongest independent series add with decreasing weights.
    // Series of one family with the same labels (CPU in cores and in percent, p90 and p99 of one pod) are one piece
    // of evidence, not several.
    const independent = new Map<string, Scored>();
    for (const x of list) {
      const key = evidenceKey(x);
      if (!independent.has(key)) independent.set(key, x);
    }
    const combined = [...independent.values()]
      .slice(0, CORROBORATION_WEIGHTS.length)
      .reduce((acc, x, i) => acc + CORROBORATION_WEIGHTS[i] * x.weighted, 0);
    // Prefer a resource anomaly as the mechanism when it is strong: it explains the latency it causes.
    const resource = list.find((x) => x.family === "resource" && x.weighted >= top.weighted * 0.5);
    const mechanismSource = resource ?? top;
    const evidence: Evidence[] = [];
    for (const item of [top, ...list.filter((x) => x !== top)].slice(0, 3)) {
      counter += 1;
      evidence.push(
        metricEvidence({
          id: `${GOLDEN_SIGNALS}-${counter}`,
          series: item.series,
          service,
          scored: item.scored,
          from: frame.window.from,
          to: frame.window.to,
        }),
      );
    }
    hypotheses.push({
      service,
      entity: seriesEntity(mechanismSource.series),
      faultClass: faultClassOfKind(mechanismSource.series.kind),
      mechanism: mechanismOfKind(mechanismSource.series.kind, mechanismSource.scored.deviation),
      score: strengthOf(combined),
      strategy: GOLDEN_SIGNALS,
      evidence,
    });
  }
  for (const origin of origins) {
    const h = originHypothesis(origin, levels, state, counter);
    counter += h.evidence.length;
    hypotheses.push(h);
  }
  hypotheses.sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
  return hypotheses;
}

/** Strength of "stopped calling its callees": one decisive callee ≈ 0.45, two ≈ 0.6, three or more ≈ 0.75. */
export function originStrength(weight: number): number {
  return 0.3 + 0.15 * Math.min(weight, 3);
}

function originHypothesis(
  origin: TrafficOrigin,
  levels: ReturnType<typeof trafficLevels>,
  state: S,
  counter: number,
): Hypothesis {
  const { frame } = state;
  const evidence: Evidence[] = [];
  const callees = [...origin.callees].sort((a, b) => b.share * b.loss - a.share * a.loss);
  for (const callee of callees) {
    const level = levels.get(callee.service);
    const series =
      level?.series[0] ??
      state.series.find(
        (s) =>
          (s.labels.source_service ?? s.labels.source_workload) === origin.service &&
          (s.labels.destination_service ?? s.labels.destination_workload) === callee.service,
      );
    if (!series) continue;
    counter += 1;
    const what = level
      ? `request rate of ${callee.service} fell ${Math.round(callee.loss * 100)}% (${level.before.toPrecision(3)} → ${level.after.toPrecision(3)})`
      : `calls ${origin.service} → ${callee.service} stopped`;
    evidence.push({
      id: `${GOLDEN_SIGNALS}-${counter}`,
      type: "metric",
      ref: series.ref,
      from: frame.window.from,
      to: frame.window.to,
      summary: `${what}${callee.vanished ? `; the call edge from ${origin.service} fell silent` : ""}, while ${origin.service} kept its own traffic`,
      // The evidence is about the callee: merge reads these to know which callees this service left uncalled.
      service: callee.service,
      kind: series.kind,
      baseline: level?.before,
      observed: level?.after,
    });
  }
  return {
    service: origin.service,
    faultClass: "code_error",
    mechanism: TRAFFIC_ORIGIN_MECHANISM,
    score: originStrength(origin.weight),
    strategy: GOLDEN_SIGNALS,
    evidence,
  };
}

/**
 * golden-signals: find when the trouble began (change points on latency and error series), then score every metric
 * of every service robustly (median/IQR of the baseline) in both directions with a per-kind direction prior, and
 * rank where it began. Client-side latency counts little: it describes callees, not the caller.
 */
export function buildGoldenSignalsGraph() {
  return new StateGraph(State)
    .addNode("collect", collect)
    .addNode("find_onset", (state: S) => locateOnset(state))
    .addNode("rank", (state: S) => {
      const started = Date.now();
      const hypotheses = rank(state);
      const report: StrategyReport = {
        name: GOLDEN_SIGNALS,
        durationMs: Date.now() - started,
        toolCalls: 0,
        checked: [
          ...state.checked,
          `robust score (median/IQR of the baseline) of every series; ${hypotheses.length} services beyond the noise`,
        ],
        hypotheses,
        errors: state.errors,
      };
      return { report };
    })
    .addEdge(START, "collect")
    .addEdge("collect", "find_onset")
    .addEdge("find_onset", "rank")
    .addEdge("rank", END)
    .compile({ name: GOLDEN_SIGNALS });
}
