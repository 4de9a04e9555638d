import type { InvestigationTools } from "../../tools/interfaces.ts";
import type { Alert, Candidate, StrategyReport } from "../types.ts";
import { LATENCY_ONLY_RANK_FACTOR, latencyOnly } from "./merge.ts";

function undiscounted(candidate: Candidate): number {
  return latencyOnly(candidate) ? candidate.score / LATENCY_ONLY_RANK_FACTOR : candidate.score;
}

/** Evidence kinds that only restate an alert's symptom (slow, failing) rather than explain it. */
const SYMPTOM_KINDS = new Set([
  "latency_p50",
  "latency_p90",
  "latency_p99",
  "latency_avg",
  "error_rate",
  "success_rate",
]);

const LATENCY_KINDS = new Set(["latency_p50", "latency_p90", "latency_p99", "latency_avg"]);
/** Confidence kept when the only support is latency series from one strategy. */
const LATENCY_ONLY_FACTOR = 0.8;
/** A runner-up at this share of the top score counts as "about as anomalous". */
const DIFFUSE_SHARE = 0.7;
/** This many such runners-up make the picture diffuse. */
const DIFFUSE_COUNT = 2;
const DIFFUSE_FACTOR = 0.85;

export interface ConfidenceAssessment {
  confidence: number;
  abstained: boolean;
  whyNotHigher: string[];
}

/** Confidence never claims certainty from metrics alone. */
const MAX_CONFIDENCE = 0.95;

/**
 * Confidence in [0, 1] from the top candidate's strength, its separation from the runner-up, corroboration across
 * strategies and how complete the data was. Below `threshold` the investigation abstains.
 */
export function assessConfidence(
  alert: Alert,
  candidates: Candidate[],
  reports: StrategyReport[],
  tools: Pick<InvestigationTools, "metrics" | "topology" | "logs" | "traces" | "cluster" | "changes">,
  threshold: number,
): ConfidenceAssessment {
  const whyNotHigher: string[] = [];
  const top = candidates[0];
  if (!top) {
    return { confidence: 0, abstained: true, whyNotHigher: ["no strategy found an anomaly beyond the baseline noise"] };
  }
  const second = candidates[1];
  const margin = second ? Math.max(0, (top.score - second.score) / top.score) : 1;
  let confidence = top.score * (0.55 + 0.45 * margin);
  if (second && margin < 0.25) whyNotHigher.push(`${second.service} is almost as anomalous as ${top.service}`);
  if (top.strategies.length < 2 && reports.length > 1) whyNotHigher.push("only one strategy supports this cause");
  const restatesSymptom =
    top.service === alert.service &&
    top.strategies.length < 2 &&
    top.evidence.every((e) => e.type === "metric" && e.kind !== undefined && SYMPTOM_KINDS.has(e.kind));
  if (restatesSymptom) {
    // The alerted service being slow or failing is the alert itself, not its cause.
    confidence *= 0.6;
    whyNotHigher.push(`the only evidence is ${top.service}'s own symptom, which the alert already reports`);
  }
  const latencyOnly =
    !restatesSymptom &&
    top.strategies.length < 2 &&
    top.evidence.length > 0 &&
    top.evidence.every((e) => e.type === "metric" && e.kind !== undefined && LATENCY_KINDS.has(e.kind));
  if (latencyOnly) {
    // Slowness alone is what a victim, a noisy edge or a cause all look like; nothing says which one this is.
    confidence *= LATENCY_ONLY_FACTOR;
    whyNotHigher.push(
      `only latency series point at ${top.service}; no resource, error, log, trace or change evidence corroborates it`,
    );
  }
  // Controls look diffuse: several services drift about as much as the top one. A single origin stands out.
  // Compared before the latency-only rank discount: that discount orders candidates, it does not make them quieter.
  const close = candidates.slice(1).filter((c) => undiscounted(c) >= undiscounted(top) * DIFFUSE_SHARE);
  if (close.length >= DIFFUSE_COUNT) {
    confidence *= DIFFUSE_FACTOR;
    whyNotHigher.push(`${close.length} other services are about as anomalous, so the anomaly looks diffuse`);
  }
  const failed = reports.filter((r) => r.errors.length > 0);
  // Applied after the cap below, so missing data lowers even a capped confidence.
  const missingDataFactor = failed.length > 0 ? 1 - 0.3 * (failed.length / Math.max(reports.length, 1)) : 1;
  if (failed.length > 0) {
    const sources = [...new Set(failed.flatMap((r) => r.errors.map((e) => sourceOf(e, r.name))))];
    whyNotHigher.push(`some data could not be read: ${sources.join(", ")}`);
  }
  if (!tools.topology) whyNotHigher.push("no service topology, so callers and callees could not be told apart");
  const missing = [
    !tools.metrics && "metrics",
    !tools.logs && "logs",
    !tools.traces && "traces",
    !tools.cluster && "Kubernetes state",
    !tools.changes && "change events",
  ].filter(Boolean);
  if (missing.length > 0) whyNotHigher.push(`no ${missing.join(", ")} available to check`);
  confidence = Math.min(MAX_CONFIDENCE, Math.max(0, confidence)) * missingDataFactor;
  if (whyNotHigher.length === 0) {
    // Nothing specific is missing: say what the number rests on, so "why not higher" is never silent.
    whyNotHigher.push(
      `${top.strategies.length} of ${reports.length} strategies point at ${top.service}; the others neither confirm nor contradict it`,
    );
  }
  return { confidence, abstained: confidence < threshold, whyNotHigher };
}

/** The data source an error message is about ("loki: timeout: …" → "loki"), else the strategy that had it. */
function sourceOf(error: string, strategy: string): string {
  const prefix = /^([a-z][a-z0-9_-]{1,30})\b/i.exec(error.trim())?.[1]?.toLowerCase();
  const known = [
    "prometheus",
    "loki",
    "tempo",
    "jaeger",
    "kubernetes",
    "metrics",
    "logs",
    "traces",
    "llm",
    "webhook",
    "fixture",
  ];
  return prefix && known.includes(prefix) ? `${prefix} (${strategy})` : strategy;
}
