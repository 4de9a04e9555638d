import { setMaxListeners } from "node:events";
import type { InvestigationTools, TimeRange, ToolCallRecord } from "../../tools/interfaces.ts";
import type { LlmCallRecord, LlmClient } from "../llm/client.ts";
import { rewriteSummary } from "../llm/rewrite-summary.ts";
import { STRATEGIES } from "../strategies/registry.ts";
import { assessConfidence } from "../synthesis/confidence.ts";
import { buildSummary } from "../synthesis/summary.ts";
import { TraceRecorder } from "../trace/recorder.ts";
import type { Alert, Candidate, InvestigationResult } from "../types.ts";
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
  /** Orders strategies and gives them budgets for this alert (the ranking learned from feedback). */
  order?: GraphOptions["order"];
  /** Confidence below which Vigil abstains. */
  abstainThreshold?: number;
  caseId?: string;
  onProgress?: InvestigationConfigurable["onProgress"];
  /** Priors on the merged candidates (approved learned patterns), applied before confidence is assessed. */
  adjustCandidates?: (alert: Alert, candidates: Candidate[]) => Promise<Candidate[]>;
  /** An OpenAI-compatible model; without one Vigil investigates and reports deterministically. */
  llm?: LlmClient;
}

// LangGraph attaches one abort listener per running task to a run's signal; parallel strategies exceed Node's
// default of 10 listeners per signal, which is not a leak.
setMaxListeners(100);

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
  const registry = options.registry ?? STRATEGIES;
  const graph = buildInvestigationGraph({
    strategies: options.strategies,
    strategyTimeoutMs: options.strategyTimeoutMs,
    registry,
    order: options.order,
  });
  // One LLM ledger and token budget per investigation; the shared client keeps the connection pool.
  const llm = options.llm?.fork();
  const recorder = new TraceRecorder(`investigate ${alert.alertname}`, new Set(registry.map((s) => s.name)));
  if (tools.envelope) tools.envelope.currentSpanId = () => recorder.currentSpanId();
  const configurable: InvestigationConfigurable = { tools, onProgress: options.onProgress, llm };
  const state = await graph.invoke({ frame }, { configurable, callbacks: [recorder] });
  if (options.adjustCandidates) {
    state.candidates = await options.adjustCandidates(alert, state.candidates).catch(() => state.candidates);
  }
  const assessment = assessConfidence(
    alert,
    state.candidates,
    state.reports,
    tools,
    options.abstainThreshold ?? DEFAULT_ABSTAIN_THRESHOLD,
  );
  let summary = buildSummary({
    alert,
    candidates: state.candidates,
    reports: state.reports,
    assessment,
    links: tools.links,
  });
  let rewritten = false;
  if (llm) {
    // The LLM may only rephrase from evidence; a verifier drops anything it cannot ground, and any failure keeps
    // the deterministic summary.
    const rewrite = await rewriteSummary(
      summary,
      state.candidates.flatMap((c) => c.evidence),
      llm,
    );
    summary = rewrite.summary;
    rewritten = rewrite.used;
  }
  const usage = llm?.usage();
  const llmCalls: ToolCallRecord[] = (llm?.records ?? []).map((r) => llmCallRecord(r));
  const candidates = state.candidates.map((c) => ({ ...c, score: Number(c.score.toFixed(4)) }));
  const trace = recorder.finish([...tools.calls, ...llmCalls], {
    "vigil.alertname": alert.alertname,
    "vigil.fingerprint": alert.fingerprint,
    "vigil.abstained": assessment.abstained,
    "vigil.confidence": Number(assessment.confidence.toFixed(4)),
    "vigil.top_candidate": candidates[0]?.service ?? "",
  });
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
    llm: {
      used: rewritten || (usage?.calls ?? 0) > 0,
      promptTokens: usage?.promptTokens ?? 0,
      completionTokens: usage?.completionTokens ?? 0,
      costUsd: usage?.costUsd ?? 0,
    },
    window: frame.window,
    trace,
  };
}

/** An LLM call as a trace record, with the OpenTelemetry GenAI attributes the client recorded. */
function llmCallRecord(record: LlmCallRecord): ToolCallRecord {
  const attributes: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(record)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") attributes[k] = v;
  }
  const duration = Number(attributes["vigil.llm.duration_ms"] ?? 0);
  return {
    backend: "llm",
    operation: String(attributes["gen_ai.operation.name"] ?? "chat"),
    query: String(attributes["vigil.llm.purpose"] ?? ""),
    startedAt: record.startedAt,
    durationMs: duration,
    bytes: 0,
    rows: 0,
    cacheHit: false,
    truncated: false,
    error: typeof attributes["error.type"] === "string" ? String(attributes["error.type"]) : undefined,
    kind: "llm",
    attributes,
  };
}
