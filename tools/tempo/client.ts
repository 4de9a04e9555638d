import { callRecord, finishCall, type Parsed } from "../http/call-record.ts";
import { type HttpAnswer, ReadOnlyHttp } from "../http/read-only-http.ts";
import type { SpanRecord, TimeRange, ToolCallRecord, ToolError, ToolResult } from "../interfaces.ts";
import { otlpToSpanRecords } from "../otlp/spans.ts";
import {
  searchResponseSchema,
  type TempoSearchTrace,
  tagsV2ResponseSchema,
  tagValuesV2ResponseSchema,
  traceByIdV2ResponseSchema,
} from "./schema.ts";
import { checkTraceQL } from "./traceql.ts";

const BACKEND = "tempo";
const DEFAULT_MAX_SPANS = 50_000;
const DEFAULT_SEARCH_LIMIT = 20; // Tempo's own default
const DEFAULT_SPSS = 3; // Tempo's own default

// Trace ids and tag names go into the URL path: anything outside these shapes is refused before a request.
const TRACE_ID = /^[0-9a-fA-F]{1,32}$/;
const TAG_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

/** The only paths this client can reach; all are GET reads. */
const ALLOWED_PATHS = [
  /^\/api\/search$/,
  /^\/api\/v2\/traces\/[0-9a-fA-F]{1,32}$/,
  /^\/api\/traces\/[0-9a-fA-F]{1,32}$/,
  /^\/api\/v2\/search\/tags$/,
  /^\/api\/v2\/search\/tag\/[A-Za-z0-9_.:-]{1,200}\/values$/,
  /^\/api\/echo$/,
];

export interface TempoClientOptions {
  /** Base URL including any prefix, e.g. `http://tempo:3200` or `http://gateway/tempo`. */
  baseUrl: string;
  /** Multi-tenant Tempo tenant, sent as `X-Scope-OrgID`. */
  tenant?: string;
  timeoutMs?: number; // default 10000 per attempt
  maxBytes?: number; // default 5 MiB; a larger answer is refused with a `denied` error
  maxSpans?: number; // default 50000 spans per trace; more are dropped and the result marked truncated
  retries?: number; // default 2; only 429 and 5xx are retried
  retryBaseMs?: number; // default 250
  maxRetryAfterMs?: number; // default 5000
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  headers?: Record<string, string>;
  /** Receives one record per call (not per attempt), success or failure. */
  onCall?: (record: ToolCallRecord) => void;
}

export interface TempoSearchOptions {
  limit?: number; // default 20 traces
  spss?: number; // spans per spanset, default 3
}

export interface TempoSearchResult {
  traces: TempoSearchTrace[];
  metrics: Record<string, unknown>;
}

function seconds(ms: number, round: (x: number) => number): number {
  return round(ms / 1000);
}

function rangeParams(range: TimeRange | undefined): Record<string, number | undefined> {
  if (!range) return {};
  // Tempo's start/end are whole unix seconds; widen outward so the range is never narrowed.
  return { start: seconds(range.from, Math.floor), end: seconds(range.to, Math.ceil) };
}

function isNotFound(error: ToolError): boolean {
  return error.kind === "http" && /^HTTP 404 /.test(error.message);
}

/**
 * A read-only Tempo HTTP API client over `ReadOnlyHttp`: TraceQL search, trace by id (OTLP JSON →
 * `SpanRecord[]`), tag names and values. Nothing throws; failures come back as typed `ToolError`s.
 *
 * @example
 * const tempo = new TempoClient({ baseUrl: "http://tempo:3200" });
 * const hits = await tempo.search('{ resource.service.name = "cart" && status = error }', range, { limit: 20 });
 * if (hits.ok) for (const t of hits.data.traces) console.log(t.traceID, t.rootServiceName, t.durationMs);
 */
export class TempoClient {
  readonly backend = BACKEND;
  readonly #http: ReadOnlyHttp;
  readonly #maxSpans: number;
  readonly #onCall?: (record: ToolCallRecord) => void;
  /** Which trace-by-id endpoint answered last; Tempo before 2.5 has no `/api/v2/traces`. */
  #traceApi: "unknown" | "v2" | "v1" = "unknown";

  constructor(options: TempoClientOptions) {
    this.#http = new ReadOnlyHttp({ ...options, backend: BACKEND, allowedPaths: ALLOWED_PATHS });
    this.#maxSpans = options.maxSpans ?? DEFAULT_MAX_SPANS;
    this.#onCall = options.onCall;
  }

  /** `/api/search?q=<TraceQL>&start&end&limit&spss`. The TraceQL is checked with the grammar first. */
  async search(
    traceql: string,
    range: TimeRange,
    options: TempoSearchOptions = {},
  ): Promise<ToolResult<TempoSearchResult>> {
    const startedAt = Date.now();
    const check = checkTraceQL(traceql);
    if (!check.ok) return this.#refuse("search", traceql, range, startedAt, `invalid TraceQL: ${check.message}`);
    const limit = Math.max(1, Math.floor(options.limit ?? DEFAULT_SEARCH_LIMIT));
    // One more than asked, so "there were more" can be told apart from "exactly limit".
    const params = { q: traceql, ...rangeParams(range), limit: limit + 1, spss: options.spss ?? DEFAULT_SPSS };
    return this.#call("search", traceql, range, startedAt, await this.#http.get("/api/search", params), (json) => {
      const parsed = searchResponseSchema.parse(json);
      const truncated = parsed.traces.length > limit;
      const traces = truncated ? parsed.traces.slice(0, limit) : parsed.traces;
      return { data: { traces, metrics: parsed.metrics ?? {} }, rows: traces.length, truncated };
    });
  }

  /**
   * `/api/v2/traces/<id>` (OTLP JSON in a `trace` wrapper), falling back to `/api/traces/<id>` once when the v2
   * path answers 404 and no v2 call has ever succeeded (Tempo < 2.5). Unknown trace → `http` error "HTTP 404".
   */
  async trace(traceId: string, range?: TimeRange): Promise<ToolResult<SpanRecord[]>> {
    const startedAt = Date.now();
    if (!TRACE_ID.test(traceId))
      return this.#refuse("trace", traceId, range, startedAt, `invalid trace id: ${traceId}`);
    const id = traceId.toLowerCase();
    const params = rangeParams(range);
    if (this.#traceApi !== "v1") {
      const answer = await this.#http.get(`/api/v2/traces/${id}`, params);
      const fallBack = !answer.ok && isNotFound(answer.error) && this.#traceApi === "unknown";
      if (!fallBack) {
        if (answer.ok) this.#traceApi = "v2";
        return this.#call("trace", id, range, startedAt, answer, (json) =>
          this.#spans(traceByIdV2ResponseSchema.parse(json).trace),
        );
      }
    }
    const answer = await this.#http.get(`/api/traces/${id}`, params);
    if (answer.ok) this.#traceApi = "v1";
    return this.#call("trace", id, range, startedAt, answer, (json) => this.#spans(json));
  }

  /** `/api/v2/search/tags`: tag names by scope (`resource`, `span`, `intrinsic`, …). */
  async tags(range?: TimeRange): Promise<ToolResult<Record<string, string[]>>> {
    const startedAt = Date.now();
    const answer = await this.#http.get("/api/v2/search/tags", rangeParams(range));
    return this.#call("tags", "", range, startedAt, answer, (json) => {
      const byScope: Record<string, string[]> = {};
      let rows = 0;
      for (const scope of tagsV2ResponseSchema.parse(json).scopes ?? []) {
        byScope[scope.name] = scope.tags ?? [];
        rows += byScope[scope.name].length;
      }
      return { data: byScope, rows, truncated: false };
    });
  }

  /** `/api/v2/search/tag/<tag>/values`, e.g. `tagValues("resource.service.name")`. Values as strings. */
  async tagValues(tag: string, range?: TimeRange): Promise<ToolResult<string[]>> {
    const startedAt = Date.now();
    if (!TAG_NAME.test(tag)) return this.#refuse("tag_values", tag, range, startedAt, `invalid tag name: ${tag}`);
    const answer = await this.#http.get(`/api/v2/search/tag/${tag}/values`, rangeParams(range));
    return this.#call("tag_values", tag, range, startedAt, answer, (json) => {
      const values = (tagValuesV2ResponseSchema.parse(json).tagValues ?? [])
        .map((v) => (typeof v.value === "string" ? v.value : JSON.stringify(v.value)))
        .filter((v): v is string => typeof v === "string");
      return { data: values, rows: values.length, truncated: false };
    });
  }

  /** `/api/echo`: true when Tempo answers. Its body is plain text, so a 2xx non-JSON answer counts as alive. */
  async ready(): Promise<ToolResult<boolean>> {
    const answer = await this.#http.get("/api/echo");
    if (answer.ok || answer.error.kind === "parse") return { ok: true, data: true, truncated: false };
    return answer;
  }

  #spans(json: unknown): Parsed<SpanRecord[]> {
    const spans = otlpToSpanRecords(json);
    const truncated = spans.length > this.#maxSpans;
    const data = truncated ? spans.slice(0, this.#maxSpans) : spans;
    return { data, rows: data.length, truncated };
  }

  #refuse<T>(
    operation: string,
    query: string,
    range: TimeRange | undefined,
    startedAt: number,
    message: string,
  ): ToolResult<T> {
    const error: ToolError = { backend: BACKEND, kind: "denied", message };
    this.#record(operation, query, range, startedAt, 0, 0, false, error);
    return { ok: false, error };
  }

  #call<T>(
    operation: string,
    query: string,
    range: TimeRange | undefined,
    startedAt: number,
    answer: ToolResult<HttpAnswer>,
    parse: (json: unknown) => Parsed<T>,
  ): ToolResult<T> {
    return finishCall(BACKEND, { operation, query, range }, startedAt, answer, parse, this.#onCall);
  }

  #record(
    operation: string,
    query: string,
    range: TimeRange | undefined,
    startedAt: number,
    bytes: number,
    rows: number,
    truncated: boolean,
    error?: ToolError,
  ): void {
    this.#onCall?.(callRecord(BACKEND, { operation, query, range }, startedAt, { bytes, rows, truncated, error }));
  }
}
