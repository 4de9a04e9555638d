import type { SpanRecord, TimeRange, ToolResult, TraceSummary, TracesQuery, TracesSource } from "../interfaces.ts";
import { nanosToMs } from "../otlp/spans.ts";
import type { TempoClient } from "./client.ts";
import type { TempoSearchTrace } from "./schema.ts";
import { buildTraceQL } from "./traceql.ts";

const DEFAULT_LIMIT = 50;
/** Extra traces asked for, because traces still running at the investigation clock are dropped afterwards. */
const CLOCK_MARGIN = 10;
const SERVICE_TAG = "resource.service.name";

export interface TempoTracesSourceOptions {
  client: TempoClient;
  /**
   * The investigation clock: search returns only traces complete by then, and `getTrace` drops spans ending after
   * it, so a replayed incident never sees the future.
   */
  now?: number | (() => number); // default Date.now
}

function clampRange(range: TimeRange, now: number): TimeRange | undefined {
  const to = Math.min(range.to, now);
  return to < range.from ? undefined : { from: range.from, to };
}

function matchedError(trace: TempoSearchTrace): boolean {
  const sets = [...(trace.spanSets ?? []), ...(trace.spanSet ? [trace.spanSet] : [])];
  for (const set of sets) {
    for (const span of set.spans ?? []) {
      for (const attr of span?.attributes ?? []) {
        if (attr?.key === "status" && attr.value.stringValue === "error") return true;
      }
    }
  }
  return false;
}

/**
 * Serves `TracesSource` from Tempo: services from the `resource.service.name` tag values, search through one
 * TraceQL spanset filter built with escaped values, traces through `/api/v2/traces/<id>`.
 *
 * @example
 * const traces = new TempoTracesSource({ client: new TempoClient({ baseUrl }), now: alertAt });
 * const hits = await traces.searchTraces({ range, service: "cart", errorsOnly: true, limit: 20 });
 * if (hits.ok && hits.data[0]) await traces.getTrace(hits.data[0].traceId);
 */
export class TempoTracesSource implements TracesSource {
  readonly backend = "tempo";
  readonly #client: TempoClient;
  readonly #now: () => number;

  constructor(options: TempoTracesSourceOptions) {
    this.#client = options.client;
    const now = options.now;
    this.#now = typeof now === "function" ? now : now === undefined ? Date.now : () => now;
  }

  async services(range: TimeRange): Promise<ToolResult<string[]>> {
    const clamped = clampRange(range, this.#now());
    if (!clamped) return { ok: true, data: [], truncated: false };
    const res = await this.#client.tagValues(SERVICE_TAG, clamped);
    if (!res.ok) return res;
    return { ok: true, data: [...new Set(res.data)].sort(), truncated: res.truncated };
  }

  async searchTraces(query: TracesQuery): Promise<ToolResult<TraceSummary[]>> {
    const now = this.#now();
    const range = clampRange(query.range, now);
    if (!range) return { ok: true, data: [], truncated: false };
    const built = buildTraceQL(query);
    if (!built.ok) return { ok: false, error: { backend: this.backend, kind: "denied", message: built.message } };
    const limit = Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT));
    const res = await this.#client.search(built.query, range, { limit: limit + CLOCK_MARGIN });
    if (!res.ok) return res;
    const data: TraceSummary[] = [];
    for (const t of res.data.traces) {
      const startMs = nanosToMs(t.startTimeUnixNano);
      const durationMs = t.durationMs ?? 0;
      // Tempo's second-granular `end` can include traces that start after the investigation clock, and a trace
      // still running at the clock was not searchable then (its root span had not been reported).
      if (startMs > range.to || startMs + durationMs > now) continue;
      const hasError = query.errorsOnly || matchedError(t);
      data.push({
        traceId: t.traceID.toLowerCase(),
        rootService: t.rootServiceName,
        rootName: t.rootTraceName ?? "",
        startMs,
        durationMs,
        ...(hasError ? { hasError: true } : {}),
      });
    }
    return { ok: true, data: data.slice(0, limit), truncated: res.truncated || data.length > limit };
  }

  async getTrace(traceId: string, range?: TimeRange): Promise<ToolResult<SpanRecord[]>> {
    const now = this.#now();
    const res = await this.#client.trace(traceId, range ? (clampRange(range, now) ?? range) : undefined);
    if (!res.ok) return res;
    // A span that ends after the clock had not been reported yet at that moment.
    const data = res.data.filter((s) => s.startMs + s.durationMs <= now);
    return { ok: true, data, truncated: res.truncated };
  }
}
