import { callRecord, finishCall, type Parsed } from "../http/call-record.ts";
import { type HttpAnswer, ReadOnlyHttp } from "../http/read-only-http.ts";
import type { SpanRecord, TimeRange, ToolCallRecord, ToolError, ToolResult } from "../interfaces.ts";
import { otlpToSpanRecords } from "../otlp/spans.ts";
import {
  legacyServicesSchema,
  legacyToSpanRecords,
  legacyTracesResponseSchema,
  v3OperationsSchema,
  v3ServicesSchema,
  v3TracesDocuments,
} from "./schema.ts";

const BACKEND = "jaeger";
const DEFAULT_MAX_SPANS = 50_000;
const DEFAULT_NUM_TRACES = 20;

// Trace ids go into the URL path: hex only.
const TRACE_ID = /^[0-9a-fA-F]{1,32}$/;

/** The only paths this client can reach; all are GET reads. */
const ALLOWED_PATHS = [
  /^\/api\/v3\/services$/,
  /^\/api\/v3\/operations$/,
  /^\/api\/v3\/traces$/,
  /^\/api\/v3\/traces\/[0-9a-fA-F]{1,32}$/,
  /^\/api\/services$/,
  /^\/api\/traces$/,
  /^\/api\/traces\/[0-9a-fA-F]{1,32}$/,
  /^\/api\/dependencies$/,
];

export interface JaegerClientOptions {
  /** Base URL of jaeger-query, including any prefix, e.g. `http://jaeger-query:16686`. */
  baseUrl: string;
  /** Which API to use; default "auto": api_v3 first, the legacy `/api/*` once v3 answers 404 (Jaeger < 1.35). */
  api?: "auto" | "v3" | "legacy";
  timeoutMs?: number; // default 10000 per attempt
  maxBytes?: number; // default 5 MiB; a larger answer is refused with a `denied` error
  maxSpans?: number; // default 50000 spans per answer; more are dropped and the result marked truncated
  retries?: number; // default 2; only 429 and 5xx are retried
  retryBaseMs?: number; // default 250
  maxRetryAfterMs?: number; // default 5000
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  /** Extra headers, e.g. Jaeger's multi-tenancy header `{ "x-tenant": "acme" }`. */
  headers?: Record<string, string>;
  /** Receives one record per call (not per attempt), success or failure. */
  onCall?: (record: ToolCallRecord) => void;
}

export interface JaegerFindTracesQuery {
  range: TimeRange;
  service: string;
  operation?: string;
  minDurationMs?: number;
  /** Most traces returned. Default 20. */
  limit?: number;
  /**
   * Span tags every matching trace must have, e.g. `{ error: "true" }`. Sent as `tags` to the legacy API; the
   * api_v3 HTTP gateway ignores tags, so on v3 they are applied to the fetched spans instead.
   */
  tags?: Record<string, string>;
}

export interface JaegerOperation {
  name: string;
  spanKind?: string;
}

export interface JaegerDependency {
  parent: string;
  child: string;
  callCount: number;
}

type Answer = ToolResult<HttpAnswer>;

function isNotFound(answer: Answer): boolean {
  return !answer.ok && answer.error.kind === "http" && /^HTTP 404 /.test(answer.error.message);
}

/** A Go duration string (`time.ParseDuration`, legacy `minDuration`): whole ms, else whole µs. */
function goDuration(ms: number): string {
  return Number.isInteger(ms) ? `${ms}ms` : `${Math.round(ms * 1000)}us`;
}

function spanHasTags(span: SpanRecord, tags: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(tags)) {
    // OTLP-converted spans carry `error=true` as status, not as a tag.
    if (key === "error" && value === "true" && span.status === "error") continue;
    if (String(span.attributes[key]) !== value) return false;
  }
  return true;
}

/** The spans of the traces in which at least one span carries all `tags`. */
function tracesWithTags(spans: SpanRecord[], tags: Record<string, string>): SpanRecord[] {
  const kept = new Set<string>();
  for (const span of spans) if (spanHasTags(span, tags)) kept.add(span.traceId);
  return spans.filter((s) => kept.has(s.traceId));
}

/**
 * A read-only Jaeger query client over `ReadOnlyHttp`. api_v3 with snake_case parameters first (accepted by old
 * and new servers alike); when v3 answers 404 and `/api/v3/services` does too, the server predates api_v3 and the
 * client switches to the legacy `/api/*` JSON for good. Nothing throws; failures are typed `ToolError`s.
 *
 * @example
 * const jaeger = new JaegerClient({ baseUrl: "http://jaeger-query:16686" });
 * const spans = await jaeger.findTraces({ service: "cart", range, limit: 20 });
 * if (spans.ok) console.log(new Set(spans.data.map((s) => s.traceId)).size, "traces");
 */
export class JaegerClient {
  readonly backend = BACKEND;
  readonly #http: ReadOnlyHttp;
  readonly #maxSpans: number;
  readonly #onCall?: (record: ToolCallRecord) => void;
  #api: "unknown" | "v3" | "legacy";

  constructor(options: JaegerClientOptions) {
    this.#http = new ReadOnlyHttp({ ...options, backend: BACKEND, allowedPaths: ALLOWED_PATHS });
    this.#maxSpans = options.maxSpans ?? DEFAULT_MAX_SPANS;
    this.#onCall = options.onCall;
    this.#api = options.api === "v3" ? "v3" : options.api === "legacy" ? "legacy" : "unknown";
  }

  /** The API in use once known: "v3", "legacy", or "unknown" before the first answer. */
  get api(): "unknown" | "v3" | "legacy" {
    return this.#api;
  }

  async services(): Promise<ToolResult<string[]>> {
    const startedAt = Date.now();
    if (this.#api !== "legacy") {
      const answer = await this.#http.get("/api/v3/services");
      if (!(isNotFound(answer) && this.#api === "unknown")) {
        if (answer.ok) this.#api = "v3";
        return this.#finish("services", "", undefined, startedAt, answer, (json) => {
          const services = [...(v3ServicesSchema.parse(json).services ?? [])].sort();
          return { data: services, rows: services.length, truncated: false };
        });
      }
      this.#api = "legacy";
    }
    const answer = await this.#http.get("/api/services");
    return this.#finish("services", "", undefined, startedAt, answer, (json) => {
      const services = [...(legacyServicesSchema.parse(json).data ?? [])].sort();
      return { data: services, rows: services.length, truncated: false };
    });
  }

  /** `/api/v3/operations?service=`. The legacy API's operations endpoint is not on the allowlist. */
  async operations(service: string): Promise<ToolResult<JaegerOperation[]>> {
    const startedAt = Date.now();
    if (!(await this.#v3Available())) {
      const error: ToolError = { backend: BACKEND, kind: "unavailable", message: "operations need Jaeger api_v3" };
      this.#record("operations", service, undefined, startedAt, 0, 0, false, error);
      return { ok: false, error };
    }
    const answer = await this.#http.get("/api/v3/operations", { service });
    return this.#finish("operations", service, undefined, startedAt, answer, (json) => {
      const operations = (v3OperationsSchema.parse(json).operations ?? []).map((o) => ({
        name: o.name,
        ...(o.spanKind ? { spanKind: o.spanKind } : {}),
      }));
      return { data: operations, rows: operations.length, truncated: false };
    });
  }

  /**
   * Every span of the traces matching the query (at most `limit` traces, most recent first): `/api/v3/traces`
   * with `query.service_name`, `query.start_time_min/max` (RFC 3339), `query.num_traces`, `query.duration_min`;
   * or legacy `/api/traces?service&start&end` (µs) `&limit&minDuration&tags`.
   */
  async findTraces(query: JaegerFindTracesQuery): Promise<ToolResult<SpanRecord[]>> {
    const startedAt = Date.now();
    const limit = Math.max(1, Math.floor(query.limit ?? DEFAULT_NUM_TRACES));
    const text = `service=${query.service} operation=${query.operation ?? ""} minDurationMs=${query.minDurationMs ?? ""} tags=${JSON.stringify(query.tags ?? {})} limit=${limit}`;
    if (query.minDurationMs !== undefined && !(Number.isFinite(query.minDurationMs) && query.minDurationMs >= 0)) {
      const error: ToolError = {
        backend: BACKEND,
        kind: "denied",
        message: `invalid minDurationMs: ${query.minDurationMs}`,
      };
      this.#record("find_traces", text, query.range, startedAt, 0, 0, false, error);
      return { ok: false, error };
    }
    const minDuration = query.minDurationMs ? goDuration(query.minDurationMs) : undefined;
    if (this.#api !== "legacy") {
      const answer = await this.#http.get("/api/v3/traces", {
        "query.service_name": query.service,
        "query.operation_name": query.operation,
        "query.start_time_min": new Date(query.range.from).toISOString(),
        "query.start_time_max": new Date(query.range.to).toISOString(),
        "query.num_traces": limit,
        "query.duration_min": minDuration,
      });
      const legacy = isNotFound(answer) && !(await this.#v3Available());
      if (!legacy) {
        if (answer.ok) this.#api = "v3";
        // Some api_v3 servers answer an empty search with 404 "trace not found".
        if (isNotFound(answer))
          return this.#finish("find_traces", text, query.range, startedAt, this.#empty(), () => ({
            data: [],
            rows: 0,
            truncated: false,
          }));
        return this.#finish("find_traces", text, query.range, startedAt, answer, (json) =>
          this.#spans(query.tags ? tracesWithTags(this.#v3Spans(json), query.tags) : this.#v3Spans(json)),
        );
      }
    }
    const answer = await this.#http.get("/api/traces", {
      service: query.service,
      operation: query.operation,
      start: Math.floor(query.range.from * 1000),
      end: Math.ceil(query.range.to * 1000),
      limit,
      minDuration,
      tags: query.tags ? JSON.stringify(query.tags) : undefined,
    });
    return this.#finish("find_traces", text, query.range, startedAt, answer, (json) =>
      this.#spans(legacyToSpanRecords(legacyTracesResponseSchema.parse(json).data ?? [])),
    );
  }

  /** One trace by id: `/api/v3/traces/<id>` or legacy `/api/traces/<id>`. Unknown id → `http` error "HTTP 404". */
  async trace(traceId: string, range?: TimeRange): Promise<ToolResult<SpanRecord[]>> {
    const startedAt = Date.now();
    if (!TRACE_ID.test(traceId)) {
      const error: ToolError = { backend: BACKEND, kind: "denied", message: `invalid trace id: ${traceId}` };
      this.#record("trace", traceId, range, startedAt, 0, 0, false, error);
      return { ok: false, error };
    }
    const id = traceId.toLowerCase();
    if (this.#api !== "legacy") {
      const answer = await this.#http.get(
        `/api/v3/traces/${id}`,
        range ? { start_time: new Date(range.from).toISOString(), end_time: new Date(range.to).toISOString() } : {},
      );
      const legacy = isNotFound(answer) && !(await this.#v3Available());
      if (!legacy) {
        if (answer.ok) this.#api = "v3";
        return this.#finish("trace", id, range, startedAt, answer, (json) => this.#spans(this.#v3Spans(json)));
      }
    }
    const answer = await this.#http.get(`/api/traces/${id}`);
    return this.#finish("trace", id, range, startedAt, answer, (json) =>
      this.#spans(legacyToSpanRecords(legacyTracesResponseSchema.parse(json).data ?? [])),
    );
  }

  /** Legacy `/api/dependencies?endTs&lookback` (ms): service call edges Jaeger aggregated itself. */
  async dependencies(range: TimeRange): Promise<ToolResult<JaegerDependency[]>> {
    const startedAt = Date.now();
    const answer = await this.#http.get("/api/dependencies", {
      endTs: Math.ceil(range.to),
      lookback: Math.max(1, Math.ceil(range.to - range.from)),
    });
    return this.#finish("dependencies", "", range, startedAt, answer, (json) => {
      const data = (json as { data?: unknown })?.data;
      if (!Array.isArray(data)) throw new Error("no data array");
      const edges: JaegerDependency[] = [];
      for (const d of data) {
        const e = d as Partial<JaegerDependency>;
        if (typeof e.parent === "string" && typeof e.child === "string") {
          edges.push({ parent: e.parent, child: e.child, callCount: Number(e.callCount ?? 0) });
        }
      }
      return { data: edges, rows: edges.length, truncated: false };
    });
  }

  /** Whether api_v3 exists; probed once through `/api/v3/services` (a 404 there means a pre-v3 server). */
  async #v3Available(): Promise<boolean> {
    if (this.#api !== "unknown") return this.#api === "v3";
    const probe = await this.#http.get("/api/v3/services");
    if (isNotFound(probe)) {
      this.#api = "legacy";
      return false;
    }
    if (probe.ok) this.#api = "v3";
    // Any other failure says nothing about the API; stay on v3 and report the original answer.
    return true;
  }

  #empty(): Answer {
    return { ok: true, data: { status: 200, json: undefined, text: "", bytes: 0 }, truncated: false };
  }

  #v3Spans(json: unknown): SpanRecord[] {
    const spans: SpanRecord[] = [];
    for (const doc of v3TracesDocuments(json)) spans.push(...otlpToSpanRecords(doc ?? {}));
    return spans;
  }

  #spans(spans: SpanRecord[]): Parsed<SpanRecord[]> {
    const truncated = spans.length > this.#maxSpans;
    const data = truncated ? spans.slice(0, this.#maxSpans) : spans;
    return { data, rows: data.length, truncated };
  }

  #finish<T>(
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
