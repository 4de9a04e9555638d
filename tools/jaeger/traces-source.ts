import type { SpanRecord, TimeRange, ToolResult, TraceSummary, TracesQuery, TracesSource } from "../interfaces.ts";
import type { JaegerClient } from "./client.ts";

const DEFAULT_LIMIT = 50;
/** Error traces are filtered after the fetch on api_v3, so more traces are fetched than wanted, up to this many. */
const MAX_ERROR_FETCH = 500;
const ERROR_OVERFETCH = 3;

export interface JaegerTracesSourceOptions {
  client: JaegerClient;
  /** The investigation clock: no trace starting after it and no span ending after it is ever returned. */
  now?: number | (() => number); // default Date.now
}

function clampRange(range: TimeRange, now: number): TimeRange | undefined {
  const to = Math.min(range.to, now);
  return to < range.from ? undefined : { from: range.from, to };
}

/** One summary per trace, most recent first: the root is the earliest span without a parent in the trace. */
export function summarizeTraces(spans: SpanRecord[]): TraceSummary[] {
  const byTrace = new Map<string, SpanRecord[]>();
  for (const s of spans) {
    const list = byTrace.get(s.traceId);
    if (list) list.push(s);
    else byTrace.set(s.traceId, [s]);
  }
  const out: TraceSummary[] = [];
  for (const [traceId, list] of byTrace) {
    const ids = new Set(list.map((s) => s.spanId));
    let root: SpanRecord | undefined;
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    let hasError = false;
    for (const s of list) {
      start = Math.min(start, s.startMs);
      end = Math.max(end, s.startMs + s.durationMs);
      hasError ||= s.status === "error";
      const isRoot = !s.parentSpanId || !ids.has(s.parentSpanId);
      if (isRoot && (!root || s.startMs < root.startMs)) root = s;
    }
    const top = root ?? list[0];
    out.push({
      traceId,
      rootService: top.service,
      rootName: top.name,
      startMs: start,
      durationMs: end - start,
      ...(hasError ? { hasError: true } : {}),
    });
  }
  return out.sort((a, b) => b.startMs - a.startMs || a.traceId.localeCompare(b.traceId));
}

/**
 * Serves `TracesSource` from Jaeger through `JaegerClient` (api_v3, legacy fallback). Jaeger can only search
 * within one service, so a query without `service` is refused with `unavailable`.
 *
 * @example
 * const traces = new JaegerTracesSource({ client: new JaegerClient({ baseUrl }), now: alertAt });
 * const hits = await traces.searchTraces({ range, service: "cart", errorsOnly: true });
 */
export class JaegerTracesSource implements TracesSource {
  readonly backend = "jaeger";
  readonly #client: JaegerClient;
  readonly #now: () => number;

  constructor(options: JaegerTracesSourceOptions) {
    this.#client = options.client;
    const now = options.now;
    this.#now = typeof now === "function" ? now : now === undefined ? Date.now : () => now;
  }

  /** Jaeger's service list is not time-scoped; the range only matters for the clock check. */
  async services(range: TimeRange): Promise<ToolResult<string[]>> {
    if (!clampRange(range, this.#now())) return { ok: true, data: [], truncated: false };
    return this.#client.services();
  }

  async searchTraces(query: TracesQuery): Promise<ToolResult<TraceSummary[]>> {
    const now = this.#now();
    const range = clampRange(query.range, now);
    if (!range) return { ok: true, data: [], truncated: false };
    if (!query.service) {
      return {
        ok: false,
        error: { backend: this.backend, kind: "unavailable", message: "Jaeger searches need a service" },
      };
    }
    const limit = Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT));
    // One more than wanted tells "there were more" apart from "exactly limit".
    const fetch = query.errorsOnly
      ? Math.min(MAX_ERROR_FETCH, Math.max(limit + 1, limit * ERROR_OVERFETCH))
      : limit + 1;
    const res = await this.#client.findTraces({
      range,
      service: query.service,
      minDurationMs: query.minDurationMs,
      limit: fetch,
      ...(query.errorsOnly ? { tags: { error: "true" } } : {}),
    });
    if (!res.ok) return res;
    // Spans that ended after the clock had not been reported at that moment; summarize what was visible.
    const visible = res.data.filter((s) => s.startMs + s.durationMs <= now);
    // The trace must still match on what was visible at the clock: a span of the service (long enough).
    const stillMatching = new Set<string>();
    for (const s of visible) {
      if (s.service !== query.service) continue;
      if (query.minDurationMs !== undefined && s.durationMs < query.minDurationMs) continue;
      stillMatching.add(s.traceId);
    }
    let summaries = summarizeTraces(visible.filter((s) => stillMatching.has(s.traceId))).filter(
      (t) => t.startMs <= range.to,
    );
    if (query.errorsOnly) summaries = summaries.filter((t) => t.hasError);
    const fetchedTraces = new Set(res.data.map((s) => s.traceId)).size;
    const truncated = res.truncated || summaries.length > limit || fetchedTraces >= fetch;
    return { ok: true, data: summaries.slice(0, limit), truncated };
  }

  async getTrace(traceId: string, range?: TimeRange): Promise<ToolResult<SpanRecord[]>> {
    const now = this.#now();
    const res = await this.#client.trace(traceId, range ? (clampRange(range, now) ?? range) : undefined);
    if (!res.ok) return res;
    const data = res.data.filter((s) => s.startMs + s.durationMs <= now);
    return { ok: true, data, truncated: res.truncated };
  }
}
