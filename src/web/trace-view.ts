/**
 * Reading an investigation's trace for the UI: the span tree in start order, the tool and LLM calls below each
 * strategy span, and what each strategy cost (queries, tokens).
 */
import type { InvestigationTrace, TraceSpan } from "../../agents/trace/types.ts";
import { formatDuration } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";

export interface SpanRow {
  span: TraceSpan;
  depth: number;
}

export interface ToolCallView {
  spanId: string;
  backend: string;
  operation: string;
  query: string;
  range?: { from: string; to: string };
  durationMs: number;
  rows: number | null;
  bytes: number | null;
  cacheHit: boolean;
  truncated: boolean;
  error?: string;
}

export interface StrategyCost {
  /** Strategy name, or "" for the work outside any strategy (planning, synthesis, report). */
  name: string;
  queries: number;
  cacheHits: number;
  errors: number;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
}

function childrenByParent(spans: TraceSpan[]): Map<string | undefined, TraceSpan[]> {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, TraceSpan[]>();
  for (const span of spans) {
    // A span whose parent is missing is shown at the top rather than dropped.
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    const list = children.get(parent) ?? [];
    list.push(span);
    children.set(parent, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  return children;
}

/** Depth-first rows of the span tree, children in start order. */
export function spanRows(trace: InvestigationTrace): SpanRow[] {
  const children = childrenByParent(trace.spans);
  const rows: SpanRow[] = [];
  const seen = new Set<string>();
  const visit = (span: TraceSpan, depth: number) => {
    // A malformed trace with a cycle must not hang the page.
    if (seen.has(span.spanId)) return;
    seen.add(span.spanId);
    rows.push({ span, depth });
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const top of children.get(undefined) ?? []) visit(top, 0);
  return rows;
}

/** Every span below `ancestorId` (not the ancestor itself). */
export function descendantsOf(trace: InvestigationTrace, ancestorId: string): TraceSpan[] {
  const children = childrenByParent(trace.spans);
  const out: TraceSpan[] = [];
  const stack = [...(children.get(ancestorId) ?? [])];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const span = stack.shift() as TraceSpan;
    if (seen.has(span.spanId)) continue;
    seen.add(span.spanId);
    out.push(span);
    stack.push(...(children.get(span.spanId) ?? []));
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}

export function strategySpan(trace: InvestigationTrace, name: string): TraceSpan | undefined {
  return trace.spans.find((s) => s.kind === "strategy" && (s.name === `strategy ${name}` || s.name === name));
}

function attr(span: TraceSpan, key: string): string | number | boolean | undefined {
  return span.attributes[key];
}

function numberAttr(span: TraceSpan, key: string): number | null {
  const value = attr(span, key);
  if (typeof value === "number") return value;
  if (typeof value === "string" && value !== "" && Number.isFinite(Number(value))) return Number(value);
  return null;
}

export function toolCallOf(span: TraceSpan): ToolCallView {
  const from = attr(span, "vigil.range.from");
  const to = attr(span, "vigil.range.to");
  return {
    spanId: span.spanId,
    backend: String(attr(span, "vigil.backend") ?? ""),
    operation: String(attr(span, "vigil.operation") ?? span.name),
    query: String(attr(span, "vigil.query") ?? ""),
    range: from !== undefined && to !== undefined ? { from: String(from), to: String(to) } : undefined,
    durationMs: Math.max(0, span.endMs - span.startMs),
    rows: numberAttr(span, "vigil.rows"),
    bytes: numberAttr(span, "vigil.bytes"),
    cacheHit: attr(span, "vigil.cache_hit") === true,
    truncated: attr(span, "vigil.truncated") === true,
    error: span.status === "error" ? (span.error ?? "error") : undefined,
  };
}

/** The tool calls a strategy made: tool spans below its strategy span. */
export function strategyToolCalls(trace: InvestigationTrace | undefined, name: string): ToolCallView[] {
  if (!trace) return [];
  const span = strategySpan(trace, name);
  if (!span) return [];
  return descendantsOf(trace, span.spanId)
    .filter((s) => s.kind === "tool")
    .map(toolCallOf);
}

function costOf(name: string, spans: TraceSpan[]): StrategyCost {
  const cost: StrategyCost = {
    name,
    queries: 0,
    cacheHits: 0,
    errors: 0,
    llmCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
  };
  for (const span of spans) {
    if (span.kind === "tool") {
      cost.queries += 1;
      if (attr(span, "vigil.cache_hit") === true) cost.cacheHits += 1;
      if (span.status === "error") cost.errors += 1;
    }
    if (span.kind === "llm") {
      cost.llmCalls += 1;
      cost.inputTokens += numberAttr(span, "gen_ai.usage.input_tokens") ?? 0;
      cost.outputTokens += numberAttr(span, "gen_ai.usage.output_tokens") ?? 0;
    }
  }
  return cost;
}

/** Cost per strategy, plus one row for everything outside the strategies (name ""). */
export function strategyCosts(trace: InvestigationTrace, names: string[]): StrategyCost[] {
  const claimed = new Set<string>();
  const costs: StrategyCost[] = [];
  for (const name of names) {
    const span = strategySpan(trace, name);
    const spans = span ? descendantsOf(trace, span.spanId) : [];
    for (const s of spans) claimed.add(s.spanId);
    costs.push(costOf(name, spans));
  }
  costs.push(
    costOf(
      "",
      trace.spans.filter((s) => !claimed.has(s.spanId)),
    ),
  );
  return costs;
}

const BAR_WIDTH = 1000;

/**
 * The span tree with a latency waterfall. Bars are SVG rects positioned by start and end relative to the root
 * span: SVG attributes, unlike style attributes, need no 'unsafe-inline' in the CSP.
 */
export function renderTrace(trace: InvestigationTrace): SafeHtml {
  const rows = spanRows(trace);
  if (rows.length === 0) return html`<div class="empty">The trace has no spans.</div>`;
  const start = Math.min(...trace.spans.map((s) => s.startMs));
  const end = Math.max(...trace.spans.map((s) => s.endMs), start + 1);
  const total = end - start;
  return html`<div class="trace" role="table" aria-label="Trace waterfall">
  <div class="row head" role="row"><span>Kind</span><span>Span</span><span class="dur">Duration</span><span>0 — ${formatDuration(total)}</span></div>
  ${rows.map(({ span, depth }) => {
    const x = ((span.startMs - start) / total) * BAR_WIDTH;
    const width = Math.max(((span.endMs - span.startMs) / total) * BAR_WIDTH, 2);
    const barClass = span.status === "error" ? "error" : span.kind;
    const tip = span.error ? `${span.name}: ${span.error}` : span.name;
    // A tool span's name is only "tool <backend> <operation>"; its query says what it actually asked.
    const query = span.kind === "tool" ? span.attributes["vigil.query"] : undefined;
    const detail = typeof query === "string" && query ? query.slice(0, 160) : undefined;
    return html`<div class="row${span.status === "error" ? " error" : ""}" role="row">
    <span class="kind">${span.kind}</span>
    <span class="name indent-${Math.min(depth, 7)}" title="${tip}">${span.name}${detail ? html` <span class="muted">· ${detail}</span>` : ""}</span>
    <span class="dur">${formatDuration(span.endMs - span.startMs)}</span>
    <svg class="bar" viewBox="0 0 ${BAR_WIDTH} 12" preserveAspectRatio="none" aria-hidden="true"><rect class="${barClass}" x="${x.toFixed(1)}" y="1" width="${Math.min(width, BAR_WIDTH - x).toFixed(1)}" height="10" rx="1"><title>${tip}</title></rect></svg>
  </div>`;
  })}
</div>`;
}
