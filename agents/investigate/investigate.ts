import type { InvestigationTools, TimeRange } from "../../tools/interfaces.ts";
import { assessConfidence } from "../synthesis/confidence.ts";
import { buildSummary } from "../synthesis/summary.ts";
import type { Alert, InvestigationResult } from "../types.ts";
import { buildInvestigationGraph, type GraphOptions } from "./graph.ts";
import type { InvestigationConfigurable, InvestigationFrame } from "./state.ts";

export interface InvestigateOptions {
  /** Data window; default: `baselineMs` before the alert up to the investigation clock. */
  window?: TimeRange;
  baselineMs?: number;
  stepMs?: number;
  strategies?: string[];
  strategyTimeoutMs?: number;
  registry?: GraphOptions["registry"];
  /** Confidence below which Vigil abstains. */
  abstainThreshold?: number;
  caseId?: string;
  onProgress?: InvestigationConfigurable["onProgress"];
}

export const DEFAULT_ABSTAIN_THRESHOLD = 0.35;
const DEFAULT_BASELINE_MS = 60 * 60_000;
const DEFAULT_STEP_MS = 60_000;

export function frameFor(alert: Alert, tools: InvestigationTools, options: InvestigateOptions): InvestigationFrame {
  const stepMs = options.stepMs ?? DEFAULT_STEP_MS;
  const window = options.window ?? {
    from: alert.startsAt - (options.baselineMs ?? DEFAULT_BASELINE_MS),
    to: tools.now,
  };
  // Alerts fire after their symptom has lasted a while: one step before the alert already belongs to the incident.
  const splitAt = Math.max(window.from + stepMs, alert.startsAt - stepMs);
  return { alert, window: { from: window.from, to: Math.min(window.to, tools.now) }, stepMs, splitAt };
}

/** Investigate one alert with the given tools and return the machine-readable result. */
export async function investigate(
  alert: Alert,
  tools: InvestigationTools,
  options: InvestigateOptions = {},
): Promise<InvestigationResult> {
  const started = Date.now();
  const frame = frameFor(alert, tools, options);
  const graph = buildInvestigationGraph({
    strategies: options.strategies,
    strategyTimeoutMs: options.strategyTimeoutMs,
    registry: options.registry,
  });
  const configurable: InvestigationConfigurable = { tools, onProgress: options.onProgress };
  const state = await graph.invoke({ frame }, { configurable });
  const assessment = assessConfidence(
    alert,
    state.candidates,
    state.reports,
    tools,
    options.abstainThreshold ?? DEFAULT_ABSTAIN_THRESHOLD,
  );
  const summary = buildSummary({
    alert,
    candidates: state.candidates,
    reports: state.reports,
    assessment,
    links: tools.links,
  });
  const candidates = state.candidates.map((c) => ({ ...c, score: Number(c.score.toFixed(4)) }));
  return {
    caseId: options.caseId,
    alert,
    abstained: assessment.abstained,
    confidence: Number(assessment.confidence.toFixed(4)),
    candidates,
    strategies: state.reports.map((r) => ({
      name: r.name,
      durationMs: r.durationMs,
      toolCalls: r.toolCalls,
      topCandidate: r.hypotheses[0]?.service,
      checked: r.checked,
      errors: r.errors,
    })),
    summary,
    durationMs: Date.now() - started,
    toolCalls: tools.calls,
    llm: { used: false, promptTokens: 0, completionTokens: 0 },
    window: frame.window,
  };
}
