import { callRecord } from "../http/call-record.ts";
import { type HttpAnswer, ReadOnlyHttp } from "../http/read-only-http.ts";
import type { TimeRange, ToolCallRecord, ToolError, ToolResult } from "../interfaces.ts";
import { checkLogQL, LABEL_NAME } from "./logql.ts";
import {
  envelopeSchema,
  type IndexStats,
  indexStatsSchema,
  queryDataSchema,
  seriesDataSchema,
  stringListSchema,
  volumeDataSchema,
} from "./schema.ts";

const BACKEND = "loki";
const DEFAULT_MAX_LINES = 5_000;
const DEFAULT_MAX_SERIES = 1_000;
/** Loki's own default `limit`; also its default `max_entries_limit_per_query` is 5000. */
const DEFAULT_LIMIT = 100;

/**
 * The only paths this client can reach; all are reads and all are sent as GET. Push, tail (websocket), delete,
 * rules and the admin endpoints are unreachable by construction.
 */
const ALLOWED_PATHS = [
  /^\/loki\/api\/v1\/(query_range|query|labels|series|index\/volume|index\/volume_range|index\/stats)$/,
  /^\/loki\/api\/v1\/label\/[a-zA-Z_][a-zA-Z0-9_]*\/values$/,
];

export interface LokiClientOptions {
  /** Base URL including any prefix, e.g. `http://loki:3100` or `https://gateway/loki-tenant-a`. */
  baseUrl: string;
  /** Tenant for multi-tenant Loki, sent as `X-Scope-OrgID` (`a|b` queries several tenants). */
  tenant?: string;
  bearerToken?: string; // wins over basicAuth when both are set
  basicAuth?: { username: string; password: string }; // Grafana Cloud: tenant id as username, token as password
  headers?: Record<string, string>;
  timeoutMs?: number; // default 10000, per attempt (connect + body)
  maxBytes?: number; // default 5 MiB; a larger response is refused with a `denied` error
  retries?: number; // default 2; only 429 and 5xx are retried
  retryBaseMs?: number; // default 250
  maxRetryAfterMs?: number; // default 5000
  maxLines?: number; // default 5000; lines beyond it are dropped (the most relevant kept) and truncated=true
  maxSeries?: number; // default 1000; series/labels/values beyond it are dropped and truncated=true
  /** Receives one record per call (not per attempt), success or failure. */
  onCall?: (record: ToolCallRecord) => void;
}

export interface LokiEntry {
  /** Nanosecond epoch exactly as Loki sent it; reopens the line without rounding. */
  ns: string;
  /** Milliseconds (fractional: microsecond precision survives). */
  t: number;
  line: string;
}

export interface LokiStream {
  labels: Record<string, string>;
  /** In the order asked for: newest first for `backward`, oldest first for `forward`. */
  entries: LokiEntry[];
}

export interface LokiSeries {
  metric: Record<string, string>;
  /** `[timeMs, value]`, ascending. */
  points: Array<[number, number]>;
}

export interface LokiStreamsResult {
  resultType: "streams";
  streams: LokiStream[];
  /** Lines returned, after the `maxLines` cap. */
  lines: number;
  stats?: Record<string, unknown>;
}

export interface LokiMatrixResult {
  resultType: "matrix" | "vector";
  /** A vector sample is a series with one point. */
  series: LokiSeries[];
  stats?: Record<string, unknown>;
}

export type LokiQueryResult = LokiStreamsResult | LokiMatrixResult;

export interface QueryRangeOptions {
  limit?: number; // default 100 (Loki's default); a streams answer with `limit` lines is marked truncated
  direction?: "forward" | "backward"; // default backward (Loki's default: newest lines first)
  stepMs?: number; // metric queries only; default chosen by Loki
  /** The query was not built by our code (LLM-written): parse-check it first and refuse it unsent if invalid. */
  untrusted?: boolean;
}

export interface VolumeOptions {
  limit?: number; // default 100 (Loki's)
  targetLabels?: string[];
  aggregateBy?: "series" | "labels";
}

export interface VolumeEntry {
  metric: Record<string, string>;
  bytes: number;
}

interface CallMeta {
  operation: string;
  query: string;
  range?: TimeRange;
}

interface Parsed<T> {
  data: T;
  rows: number;
  truncated: boolean;
}

/**
 * A read-only Loki HTTP API client over the shared `ReadOnlyHttp`: GET only, on an allowlist of query paths,
 * with a timeout, a size cap, bounded retries and typed errors. No method throws.
 *
 * Ranges are closed (`TimeRange`): Loki's `end` is exclusive, so `end` is sent one nanosecond past `to`.
 *
 * @example
 * const loki = new LokiClient({ baseUrl: "http://loki:3100", tenant: "prod" });
 * const res = await loki.queryRange('{service_name="checkout"} |= "timeout"', { from, to }, { limit: 500 });
 * if (res.ok && res.data.resultType === "streams") for (const s of res.data.streams) console.log(s.labels, s.entries.length);
 */
export class LokiClient {
  readonly backend = BACKEND;
  readonly #http: ReadOnlyHttp;
  readonly #maxLines: number;
  readonly #maxSeries: number;
  readonly #onCall?: (record: ToolCallRecord) => void;

  constructor(options: LokiClientOptions) {
    // Only defined options are passed: ReadOnlyHttp spreads options over its defaults, so an explicit
    // `undefined` (e.g. `retries: undefined`) would replace a default instead of keeping it.
    const tuning = definedOnly({
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      retries: options.retries,
      retryBaseMs: options.retryBaseMs,
      maxRetryAfterMs: options.maxRetryAfterMs,
      tenant: options.tenant,
      bearerToken: options.bearerToken,
      basicAuth: options.basicAuth,
      headers: options.headers,
    });
    this.#http = new ReadOnlyHttp({
      backend: BACKEND,
      baseUrl: options.baseUrl,
      allowedPaths: ALLOWED_PATHS,
      ...tuning,
    });
    this.#maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
    this.#maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    this.#onCall = options.onCall;
  }

  /** `/loki/api/v1/query_range`: log lines (`streams`) or, for a metric query, a `matrix`. */
  async queryRange(
    logql: string,
    range: TimeRange,
    options: QueryRangeOptions = {},
  ): Promise<ToolResult<LokiQueryResult>> {
    const meta = { operation: "query_range", query: logql, range };
    const refused = this.#refuseUntrusted(meta, logql, options.untrusted);
    if (refused) return refused;
    const limit = Math.max(1, Math.floor(options.limit ?? DEFAULT_LIMIT));
    const direction = options.direction ?? "backward";
    const params: Record<string, string | number | undefined> = {
      query: logql,
      start: toNs(range.from),
      end: toNs(range.to, 1n),
      limit,
      direction,
      step: options.stepMs === undefined ? undefined : `${Math.max(1, options.stepMs) / 1000}`,
    };
    return this.#call(meta, "/loki/api/v1/query_range", params, (raw) => this.#parseQuery(raw, limit, direction));
  }

  /** `/loki/api/v1/query`: an instant metric query at `timeMs` (Loki answers 400 for a log query). */
  async query(
    logql: string,
    timeMs: number,
    options: { untrusted?: boolean } = {},
  ): Promise<ToolResult<LokiQueryResult>> {
    const meta = { operation: "query", query: logql, range: { from: timeMs, to: timeMs } };
    const refused = this.#refuseUntrusted(meta, logql, options.untrusted);
    if (refused) return refused;
    const params = { query: logql, time: toNs(timeMs) };
    return this.#call(meta, "/loki/api/v1/query", params, (raw) => this.#parseQuery(raw, Infinity, "backward"));
  }

  /** `/loki/api/v1/labels`: label names seen in the range, optionally only on streams matching `selector`. */
  async labels(range: TimeRange, selector?: string): Promise<ToolResult<string[]>> {
    const meta = { operation: "labels", query: selector ?? "", range };
    const params = { start: toNs(range.from), end: toNs(range.to, 1n), query: selector };
    return this.#call(meta, "/loki/api/v1/labels", params, (raw) => this.#capList(stringListSchema.parse(raw)));
  }

  /** `/loki/api/v1/label/<name>/values`: values of one label in the range, optionally scoped by `selector`. */
  async labelValues(name: string, range: TimeRange, selector?: string): Promise<ToolResult<string[]>> {
    const meta = { operation: "label_values", query: name, range };
    if (!LABEL_NAME.test(name)) {
      // The name is part of the URL path; refuse anything that could change the path.
      return this.#fail(meta, Date.now(), { backend: BACKEND, kind: "denied", message: `invalid label name: ${name}` });
    }
    const params = { start: toNs(range.from), end: toNs(range.to, 1n), query: selector };
    return this.#call(meta, `/loki/api/v1/label/${name}/values`, params, (raw) =>
      this.#capList(stringListSchema.parse(raw)),
    );
  }

  /** `/loki/api/v1/series`: the label sets of streams matching any of `match` in the range. */
  async series(match: string[], range: TimeRange): Promise<ToolResult<Array<Record<string, string>>>> {
    const meta = { operation: "series", query: match.join(" or "), range };
    const params = new URLSearchParams({ start: toNs(range.from), end: toNs(range.to, 1n) });
    for (const m of match) params.append("match[]", m);
    return this.#call(meta, "/loki/api/v1/series", params, (raw) => this.#capList(seriesDataSchema.parse(raw)));
  }

  /** `/loki/api/v1/index/volume`: bytes ingested per label set matching `selector` (needs `volume_enabled`). */
  async volume(selector: string, range: TimeRange, options: VolumeOptions = {}): Promise<ToolResult<VolumeEntry[]>> {
    const meta = { operation: "volume", query: selector, range };
    const params = {
      query: selector,
      start: toNs(range.from),
      end: toNs(range.to, 1n),
      limit: options.limit,
      targetLabels: options.targetLabels?.join(","),
      aggregateBy: options.aggregateBy,
    };
    return this.#call(meta, "/loki/api/v1/index/volume", params, (raw) => {
      const parsed = volumeDataSchema.parse(raw);
      const entries = parsed.result.map((s) => ({ metric: s.metric, bytes: s.value?.[1] ?? 0 }));
      entries.sort((a, b) => b.bytes - a.bytes);
      return this.#capList(entries);
    });
  }

  /** `/loki/api/v1/index/stats`: streams, chunks, entries and bytes a selector resolves to (an estimate). */
  async indexStats(selector: string, range: TimeRange): Promise<ToolResult<IndexStats>> {
    const meta = { operation: "index_stats", query: selector, range };
    const params = { query: selector, start: toNs(range.from), end: toNs(range.to, 1n) };
    return this.#call(
      meta,
      "/loki/api/v1/index/stats",
      params,
      (raw) => ({
        data: indexStatsSchema.parse(raw),
        rows: 1,
        truncated: false,
      }),
      { envelope: false },
    );
  }

  #refuseUntrusted(meta: CallMeta, logql: string, untrusted?: boolean): ToolResult<never> | undefined {
    if (!untrusted) return undefined;
    const check = checkLogQL(logql);
    if (check.ok) return undefined;
    return this.#fail(meta, Date.now(), {
      backend: BACKEND,
      kind: "denied",
      message: `invalid LogQL, not sent: ${check.error}`,
    });
  }

  #parseQuery(raw: unknown, limit: number, direction: "forward" | "backward"): Parsed<LokiQueryResult> {
    const parsed = queryDataSchema.parse(raw);
    if (parsed.resultType === "streams") return this.#capStreams(parsed, limit, direction);
    const series: LokiSeries[] =
      parsed.resultType === "matrix"
        ? parsed.result.map((s) => ({ metric: s.metric, points: s.values }))
        : parsed.result.map((s) => ({ metric: s.metric, points: s.value ? [s.value] : [] }));
    const truncated = series.length > this.#maxSeries;
    const kept = truncated ? series.slice(0, this.#maxSeries) : series;
    return { data: { resultType: parsed.resultType, series: kept, stats: parsed.stats }, rows: kept.length, truncated };
  }

  /**
   * Keeps at most `maxLines` lines overall, the first ones in the asked direction (newest for backward), so the
   * cap drops the same lines Loki's own `limit` would. A full `limit` means more lines exist: truncated.
   */
  #capStreams(
    parsed: {
      result: Array<{ stream: Record<string, string>; values: Array<{ ns: string; line: string }> }>;
      stats?: Record<string, unknown>;
    },
    limit: number,
    direction: "forward" | "backward",
  ): Parsed<LokiStreamsResult> {
    const all: Array<{ stream: number; ns: bigint; entry: LokiEntry }> = [];
    parsed.result.forEach((s, stream) => {
      for (const v of s.values)
        all.push({ stream, ns: BigInt(v.ns), entry: { ns: v.ns, t: nsToMs(v.ns), line: v.line } });
    });
    const sign = direction === "forward" ? 1 : -1;
    all.sort((a, b) => (a.ns === b.ns ? a.stream - b.stream : a.ns < b.ns ? -sign : sign));
    const capped = all.length > this.#maxLines;
    const kept = capped ? all.slice(0, this.#maxLines) : all;
    const streams: LokiStream[] = parsed.result.map((s) => ({ labels: s.stream, entries: [] }));
    for (const k of kept) streams[k.stream]?.entries.push(k.entry);
    const nonEmpty = streams.filter((s) => s.entries.length > 0);
    return {
      data: { resultType: "streams", streams: nonEmpty, lines: kept.length, stats: parsed.stats },
      rows: kept.length,
      truncated: capped || all.length >= limit,
    };
  }

  #capList<T>(items: T[]): Parsed<T[]> {
    const truncated = items.length > this.#maxSeries;
    const data = truncated ? items.slice(0, this.#maxSeries) : items;
    return { data, rows: data.length, truncated };
  }

  async #call<T>(
    meta: CallMeta,
    path: string,
    params: Record<string, string | number | undefined> | URLSearchParams,
    parse: (data: unknown) => Parsed<T>,
    { envelope = true }: { envelope?: boolean } = {},
  ): Promise<ToolResult<T>> {
    const startedAt = Date.now();
    const answer = await this.#http.get(path, params);
    if (!answer.ok) {
      // The shared client reports a body over the cap as `denied`; the record says the answer was cut.
      const capped = answer.error.kind === "denied" && answer.error.message.includes("-byte cap");
      return this.#fail(meta, startedAt, answer.error, capped);
    }
    const unwrapped = envelope ? unwrapEnvelope(answer.data, path) : { ok: true as const, data: answer.data.json };
    if (!unwrapped.ok) return this.#fail(meta, startedAt, unwrapped.error, false, answer.data.bytes);
    let parsed: Parsed<T>;
    try {
      parsed = parse(unwrapped.data);
    } catch (err) {
      const message = `unexpected ${meta.operation} data from ${path}: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`;
      return this.#fail(meta, startedAt, { backend: BACKEND, kind: "parse", message }, false, answer.data.bytes);
    }
    this.#record(meta, startedAt, answer.data.bytes, parsed.rows, parsed.truncated);
    return { ok: true, data: parsed.data, truncated: parsed.truncated };
  }

  #fail(
    meta: CallMeta,
    startedAt: number,
    error: ToolError,
    truncated = false,
    bytes = 0,
  ): { ok: false; error: ToolError } {
    this.#record(meta, startedAt, bytes, 0, truncated, error);
    return { ok: false, error };
  }

  #record(meta: CallMeta, startedAt: number, bytes: number, rows: number, truncated: boolean, error?: ToolError) {
    this.#onCall?.(callRecord(BACKEND, meta, startedAt, { bytes, rows, truncated, error }));
  }
}

function unwrapEnvelope(
  answer: HttpAnswer,
  path: string,
): { ok: true; data: unknown } | { ok: false; error: ToolError } {
  const envelope = envelopeSchema.safeParse(answer.json);
  if (!envelope.success) {
    return {
      ok: false,
      error: { backend: BACKEND, kind: "parse", message: `response from ${path} is not a Loki API envelope` },
    };
  }
  if (envelope.data.status === "error") {
    const detail = envelope.data.error ?? "unknown error";
    return {
      ok: false,
      error: { backend: BACKEND, kind: "http", message: `HTTP ${answer.status} from ${path}: ${detail}` },
    };
  }
  return { ok: true, data: envelope.data.data };
}

/** Milliseconds → Loki's nanosecond epoch, as a string (beyond 2^53, so BigInt). */
export function toNs(ms: number, plusNs = 0n): string {
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1_000_000);
  return (BigInt(whole) * 1_000_000n + BigInt(frac) + plusNs).toString();
}

/** Loki's nanosecond epoch → milliseconds, keeping microseconds. */
export function nsToMs(ns: string): number {
  return Number(BigInt(ns) / 1_000n) / 1_000;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
