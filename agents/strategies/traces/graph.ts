import { Annotation, END, type LangGraphRunnableConfig, START, StateGraph } from "@langchain/langgraph";
import type { SpanRecord, TraceSummary } from "../../../tools/interfaces.ts";
import { servicesNamedIn } from "../../analysis/evidence-refs.ts";
import { cutShortTraces, errorOrigins, exclusiveTimeShifts } from "../../analysis/trace-analysis.ts";
import { type InvestigationFrame, toolsFrom } from "../../investigate/state.ts";
import type { Evidence, Hypothesis, StrategyReport } from "../../types.ts";
import { latest, strategyChannels } from "../strategy-channels.ts";

export const TRACES = "traces";

/** Erroring traces fetched in full. */
const MAX_ERRORING = 60;
/**
 * Traces fetched in full on each side of the onset, spread over sub-ranges so one burst cannot fill the sample:
 * enough for shares to mean something, bounded for the time budget.
 */
const BASELINE_SAMPLE = { traces: 30, parts: 2 };
const INCIDENT_SAMPLE = { traces: 45, parts: 3 };
const MAX_TRACES = MAX_ERRORING + BASELINE_SAMPLE.traces + INCIDENT_SAMPLE.traces;
/** A service must originate at least this share of the erroring traces to be blamed for errors. */
const MIN_ORIGIN_SHARE = 0.2;
/** Exclusive time per trace must grow by this factor (and by MIN_DELTA_MS) to count as a latency lead. */
const MIN_EXCLUSIVE_RATIO = 3;
const MIN_DELTA_MS = 5;
/** Traces needed on each side of the onset before a shift of means says anything: samples are small and skewed. */
const MIN_TRACES_PER_SIDE = 20;
/**
 * Requests cut short after one call: at least this share of the operation's requests after the onset, and this many,
 * beyond what the baseline's rate of ending there predicts.
 */
const MIN_CUT_SHORT_SHARE = 0.2;
const MIN_CUT_SHORT_TRACES = 5;

/** Span attributes that name the peer a client span called (OpenTelemetry semantic conventions, old and new). */
const PEER_ATTRIBUTES = [
  "peer.service",
  "server.address",
  "net.peer.name",
  "db.system",
  "db.name",
  "messaging.destination.name",
];

/**
 * Where an error that begins in a client call really lives: the peer the span names (a database, a cache, another
 * service), when that peer is a known service without spans of its own. Uninstrumented dependencies never appear as
 * the deepest erroring span, so their callers would otherwise take the blame.
 */
function namedPeer(span: SpanRecord, known: Set<string>): string | undefined {
  const texts = PEER_ATTRIBUTES.map((k) => span.attributes[k]).filter((v): v is string => typeof v === "string");
  const message =
    span.attributes["error.message"] ?? span.attributes["exception.message"] ?? span.attributes["status.message"];
  if (typeof message === "string") texts.push(message);
  for (const text of texts) {
    const named = servicesNamedIn(text, known).filter((s) => s !== span.service);
    if (named.length > 0) return named[0];
  }
  return undefined;
}

const State = Annotation.Root({
  ...strategyChannels,
  topologyServices: latest<string[]>(() => []),
  spans: latest<SpanRecord[]>(() => []),
});
type S = typeof State.State;

/** Fetch a bounded sample: every erroring trace first, then traces spread over the baseline and the incident. */
async function collect(state: S, config: LangGraphRunnableConfig) {
  const tools = toolsFrom(config);
  if (!tools.traces) return { checked: ["traces: no trace source"] };
  const { window, splitAt } = state.frame;
  const errors: string[] = [];
  const traces = tools.traces;
  const spread = (from: number, to: number, sample: { traces: number; parts: number }) =>
    subRanges(from, to, sample.parts).map((range) =>
      traces.searchTraces({ range, limit: Math.ceil(sample.traces / sample.parts) }),
    );
  const results = await Promise.all([
    traces.searchTraces({ range: window, errorsOnly: true, limit: MAX_ERRORING }),
    ...spread(window.from, splitAt, BASELINE_SAMPLE),
    ...spread(splitAt, window.to, INCIDENT_SAMPLE),
  ]);
  const summaries = new Map<string, TraceSummary>();
  for (const result of results) {
    if (!result.ok) {
      errors.push(`traces: ${result.error.kind}: ${result.error.message}`);
      continue;
    }
    for (const t of result.data) summaries.set(t.traceId, t);
  }
  const ids = [...summaries.keys()].slice(0, MAX_TRACES);
  const fetched = await Promise.all(ids.map((id) => tools.traces?.getTrace(id, window)));
  const spans: SpanRecord[] = [];
  let failed = 0;
  for (const result of fetched) {
    if (result?.ok) spans.push(...result.data);
    else failed += 1;
  }
  if (failed > 0) errors.push(`traces: ${failed} of ${ids.length} traces could not be read`);
  const topology = tools.topology ? await tools.topology.topology() : undefined;
  const topologyServices = topology?.ok ? topology.data.nodes.filter((n) => n.kind === "service").map((n) => n.id) : [];
  return {
    spans,
    errors,
    topologyServices,
    checked: [`traces: ${ids.length} traces (${spans.length} spans) sampled`],
  };
}

/** `parts` equal, adjacent sub-ranges of [from, to]. */
function subRanges(from: number, to: number, parts: number): Array<{ from: number; to: number }> {
  if (to <= from) return [{ from, to }];
  const width = (to - from) / parts;
  return Array.from({ length: parts }, (_, i) => ({
    from: Math.round(from + i * width),
    to: i === parts - 1 ? to : Math.round(from + (i + 1) * width) - 1,
  }));
}

function traceEvidence(
  id: string,
  traceId: string,
  service: string,
  summary: string,
  frame: InvestigationFrame,
): Evidence {
  return { id, type: "trace", ref: `trace:${traceId}`, from: frame.window.from, to: frame.window.to, summary, service };
}

function analyse(state: S): { hypotheses: Hypothesis[]; checked: string[] } {
  const { frame, spans } = state;
  const hypotheses: Hypothesis[] = [];
  const checked: string[] = [];
  let counter = 0;
  if (spans.length === 0) return { hypotheses, checked: ["traces: nothing to analyse"] };

  // Errors: the deepest erroring service in each trace is where the error began; its callers only passed it on.
  const origins = errorOrigins(spans);
  const erroringTraces = origins.traces.length;
  checked.push(`error spans: ${erroringTraces} erroring traces`);
  // Blame per trace: the deepest erroring span's service, or the uninstrumented peer its error names.
  const known = new Set([...state.topologyServices, ...spans.map((s) => s.service)]);
  const spanServices = new Set(spans.map((s) => s.service));
  const blamed = new Map<string, { traces: number; example: string; viaPeer: boolean; caller?: string }>();
  for (const trace of origins.traces) {
    const peer = namedPeer(trace.deepest, known);
    const viaPeer = Boolean(peer && !spanServices.has(peer));
    const service = viaPeer && peer ? peer : trace.deepest.service;
    const entry = blamed.get(service) ?? { traces: 0, example: trace.traceId, viaPeer, caller: trace.deepest.service };
    entry.traces += 1;
    blamed.set(service, entry);
  }
  for (const [service, entry] of blamed) {
    const share = erroringTraces > 0 ? entry.traces / erroringTraces : 0;
    if (entry.traces < 2 || share < MIN_ORIGIN_SHARE) continue;
    counter += 1;
    hypotheses.push({
      service,
      faultClass: entry.viaPeer ? "dependency" : "code_error",
      mechanism: entry.viaPeer ? `calls to it fail (seen from ${entry.caller})` : "errors originate here",
      score: Math.min(0.9, 0.35 + 0.5 * share),
      strategy: TRACES,
      evidence: [
        traceEvidence(
          `${TRACES}-${counter}`,
          entry.example,
          service,
          entry.viaPeer
            ? `errors begin in ${entry.caller}'s calls to ${service} in ${entry.traces} of ${erroringTraces} erroring traces (e.g. ${entry.example})`
            : `${service} is the deepest erroring service in ${entry.traces} of ${erroringTraces} erroring traces (e.g. ${entry.example})`,
          frame,
        ),
      ],
    });
  }

  // Requests cut short: after the onset they end right after calling one callee, where before they went on.
  const cut = cutShortTraces(spans, frame.splitAt);
  const cutShort = cut.callees.filter((c) => c.share >= MIN_CUT_SHORT_SHARE && c.excess >= MIN_CUT_SHORT_TRACES);
  checked.push(
    `request paths: ${cut.tracesAfter} traces after the onset against ${cut.tracesBefore} before; ${cutShort.length} callees after which requests now stop`,
  );
  for (const c of cutShort) {
    counter += 1;
    hypotheses.push({
      service: c.service,
      faultClass: "code_error",
      mechanism: "requests end right after calling it",
      // A path that changed shape can be benign (more cache hits end requests early): alone it stays a middling lead.
      score: Math.min(0.8, 0.35 + 0.5 * c.share),
      strategy: TRACES,
      evidence: [
        traceEvidence(
          `${TRACES}-${counter}`,
          c.exampleTraceIds[0],
          c.service,
          `${c.cutShort} of ${c.requestsAfter} ${c.caller} ${c.operation} requests after the onset end right after calling ${c.service}, where others go on (${Math.round(c.excess)} more than the baseline predicts; e.g. ${c.exampleTraceIds[0]})`,
          frame,
        ),
      ],
    });
  }

  // Latency: a callee whose own (exclusive) time grew explains its callers' latency.
  const hasBaseline = spans.some((s) => s.startMs < frame.splitAt) && spans.some((s) => s.startMs >= frame.splitAt);
  if (!hasBaseline) {
    checked.push("critical path: no traces on both sides of the onset, so latency shifts could not be compared");
    return { hypotheses, checked };
  }
  const shifts = exclusiveTimeShifts(spans, frame.splitAt, { by: "service" })
    .filter(
      (s) =>
        (s.ratioPerTrace ?? 0) >= MIN_EXCLUSIVE_RATIO &&
        (s.deltaPerTraceMs ?? 0) >= MIN_DELTA_MS &&
        (s.before?.traces ?? 0) >= MIN_TRACES_PER_SIDE &&
        (s.after?.traces ?? 0) >= MIN_TRACES_PER_SIDE,
    )
    .sort((a, b) => (b.deltaPerTraceMs ?? 0) - (a.deltaPerTraceMs ?? 0));
  checked.push(`critical path: exclusive time per service before vs after the onset; ${shifts.length} grew`);
  const largest = shifts[0]?.deltaPerTraceMs ?? 0;
  for (const shift of shifts.slice(0, 3)) {
    counter += 1;
    const delta = shift.deltaPerTraceMs ?? 0;
    const example = spans.find((s) => s.service === shift.service && s.startMs >= frame.splitAt)?.traceId ?? "";
    hypotheses.push({
      service: shift.service,
      faultClass: "network_delay",
      mechanism: "own (exclusive) time grew",
      // A sampled mean is weak evidence on its own: it leads only with corroboration from other strategies.
      score: Math.min(0.3, 0.15 + 0.15 * (delta / Math.max(largest, 1e-9))),
      strategy: TRACES,
      evidence: [
        traceEvidence(
          `${TRACES}-${counter}`,
          example,
          shift.service,
          `${shift.service}'s own time per trace ${shift.before?.meanPerTraceMs.toFixed(1)} ms → ${shift.after?.meanPerTraceMs.toFixed(1)} ms (×${(shift.ratioPerTrace ?? 0).toFixed(1)})`,
          frame,
        ),
      ],
    });
  }
  return { hypotheses, checked };
}

/**
 * traces: where errors begin (the deepest erroring service of each trace), after which call requests are now cut
 * short, and whose own time grew (exclusive-time
 * shift on the critical path), from a bounded sample of traces around the onset.
 */
export function buildTracesGraph() {
  return new StateGraph(State)
    .addNode("collect", collect)
    .addNode("analyse", (state: S) => {
      const started = Date.now();
      const { hypotheses, checked } = analyse(state);
      hypotheses.sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
      const report: StrategyReport = {
        name: TRACES,
        durationMs: Date.now() - started,
        toolCalls: 0,
        checked: [...state.checked, ...checked],
        hypotheses,
        errors: state.errors,
      };
      return { report };
    })
    .addEdge(START, "collect")
    .addEdge("collect", "analyse")
    .addEdge("analyse", END)
    .compile({ name: TRACES });
}
