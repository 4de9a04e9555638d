import { callRecord } from "../http/call-record.ts";
import { parseRetryAfter, readCapped } from "../http/read-only-http.ts";
import type { TimeRange, ToolCallRecord, ToolError, ToolResult } from "../interfaces.ts";
import {
  alertsSchema,
  type Envelope,
  envelopeSchema,
  labelValuesDataSchema,
  metadataSchema,
  type PromAlert,
  type PromTarget,
  queryDataSchema,
  rulesSchema,
  seriesDataSchema,
  targetsSchema,
} from "./schema.ts";

const BACKEND = "prometheus";
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
const DEFAULT_MAX_SERIES = 1_000;
const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_BASE_MS = 250;
const DEFAULT_MAX_RETRY_AFTER_MS = 5_000;
/** Above this many characters of encoded parameters the request goes as a POST form: URLs have length limits. */
const DEFAULT_POST_ABOVE_CHARS = 2_000;

/**
 * The only endpoints this client can reach, with the methods Prometheus accepts for them. Everything here is a
 * read; admin endpoints (`/api/v1/admin/tsdb/*`) and anything else are unreachable by construction.
 */
const READ_ENDPOINTS = {
  query: { path: "/api/v1/query", post: true },
  query_range: { path: "/api/v1/query_range", post: true },
  series: { path: "/api/v1/series", post: true },
  label_values: { path: "/api/v1/label/{name}/values", post: false },
  labels: { path: "/api/v1/labels", post: true },
  metadata: { path: "/api/v1/metadata", post: false },
  alerts: { path: "/api/v1/alerts", post: false },
  rules: { path: "/api/v1/rules", post: false },
  targets: { path: "/api/v1/targets", post: false },
} as const;
type Operation = keyof typeof READ_ENDPOINTS;

// Prometheus 2.x label names; validated because the name is part of the URL path.
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface PrometheusClientOptions {
  /** Base URL including any prefix, e.g. `http://prometheus:9090` or `http://mimir/prometheus`. */
  baseUrl: string;
  timeoutMs?: number; // default 10000, per attempt; also sent as the query's server-side `timeout`
  maxBytes?: number; // default 5 MiB; a larger response is refused with a `denied` error and truncated=true
  maxSeries?: number; // default 1000; further series are dropped and the result marked truncated
  /** Mimir/Cortex/Thanos tenant, sent as `X-Scope-OrgID`. */
  tenant?: string;
  /** Extra request headers (e.g. a proxy's auth header). */
  headers?: Record<string, string>;
  bearerToken?: string; // wins over basicAuth when both are set
  basicAuth?: { username: string; password: string };
  retries?: number; // default 2; only 429 and 5xx are retried
  retryBaseMs?: number; // default 250; exponential backoff base
  maxRetryAfterMs?: number; // default 5000; cap on an honoured Retry-After
  postAboveChars?: number; // default 2000
  /** Receives one record per call (not per attempt), success or failure. */
  onCall?: (record: ToolCallRecord) => void;
}

/** One series of a query result: labels and `[timeMs, value]` samples (NaN and ±Infinity kept as numbers). */
export interface PromSeries {
  metric: Record<string, string>;
  points: Array<[number, number]>;
}

export interface PromQueryData {
  resultType: "matrix" | "vector" | "scalar" | "string";
  /** Matrix series as-is; a vector sample is a series with one point; a scalar is one series without labels. */
  series: PromSeries[];
  warnings: string[];
}

interface CallMeta {
  operation: Operation;
  query: string;
  range?: TimeRange;
}

interface Parsed<T> {
  data: T;
  rows: number;
  truncated: boolean;
}

type AttemptOutcome =
  | { kind: "ok"; status: number; text: string; bytes: number }
  | { kind: "retryable"; status: number; text: string; bytes: number; retryAfterMs?: number }
  | { kind: "error"; error: ToolError; bytes: number; truncated: boolean };

/**
 * A read-only Prometheus HTTP API client. It can only reach the query endpoints, every call has a timeout and a
 * size cap, and no method throws: failures come back as typed `ToolError`s.
 *
 * @example
 * const prom = new PrometheusClient({ baseUrl: "http://prometheus:9090", onCall: (r) => calls.push(r) });
 * const res = await prom.queryRange('sum by (service) (rate(http_requests_total[5m]))', from, to, 60_000);
 * if (res.ok) for (const s of res.data.series) console.log(s.metric.service, s.points.length);
 */
export class PrometheusClient {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxSeries: number;
  readonly #retries: number;
  readonly #retryBaseMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #postAboveChars: number;
  readonly #headers: Record<string, string>;
  readonly #onCall?: (record: ToolCallRecord) => void;

  constructor(options: PrometheusClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    this.#retries = options.retries ?? DEFAULT_RETRIES;
    this.#retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.#postAboveChars = options.postAboveChars ?? DEFAULT_POST_ABOVE_CHARS;
    this.#onCall = options.onCall;
    this.#headers = { accept: "application/json", "user-agent": "vigil", ...options.headers };
    if (options.tenant) this.#headers["x-scope-orgid"] = options.tenant;
    if (options.bearerToken) {
      this.#headers.authorization = `Bearer ${options.bearerToken}`;
    } else if (options.basicAuth) {
      const { username, password } = options.basicAuth;
      this.#headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    }
  }

  /** `/api/v1/query_range`: a matrix over `[startMs, endMs]` at `stepMs` resolution. */
  async queryRange(query: string, startMs: number, endMs: number, stepMs: number): Promise<ToolResult<PromQueryData>> {
    const params = new URLSearchParams({
      query,
      start: seconds(startMs),
      end: seconds(endMs),
      step: seconds(Math.max(1, stepMs)),
      timeout: seconds(this.#timeoutMs),
    });
    const meta = { operation: "query_range", query, range: { from: startMs, to: endMs } } as const;
    return this.#call(meta, params, (raw, warnings) => this.#parseQueryData(raw, warnings));
  }

  /** `/api/v1/query`: an instant query evaluated at `timeMs`. */
  async query(query: string, timeMs: number): Promise<ToolResult<PromQueryData>> {
    const params = new URLSearchParams({ query, time: seconds(timeMs), timeout: seconds(this.#timeoutMs) });
    const meta = { operation: "query", query, range: { from: timeMs, to: timeMs } } as const;
    return this.#call(meta, params, (raw, warnings) => this.#parseQueryData(raw, warnings));
  }

  /** `/api/v1/label/<label>/values`: every value of one label. */
  async labelValues(label: string): Promise<ToolResult<string[]>> {
    const meta = { operation: "label_values", query: label } as const;
    if (!LABEL_NAME.test(label)) {
      // The name goes into the URL path; refuse anything that could change the path.
      const error: ToolError = { backend: BACKEND, kind: "denied", message: `invalid label name: ${label}` };
      this.#record(meta, Date.now(), 0, 0, false, error);
      return { ok: false, error };
    }
    return this.#call(meta, new URLSearchParams(), (raw) => {
      const values = labelValuesDataSchema.parse(raw);
      return { data: values, rows: values.length, truncated: false };
    });
  }

  /** `/api/v1/labels`: every label name (in the range when given). */
  async labels(range?: TimeRange): Promise<ToolResult<string[]>> {
    const params = new URLSearchParams(range ? { start: seconds(range.from), end: seconds(range.to) } : {});
    return this.#call({ operation: "labels", query: "", range }, params, (raw) => {
      const values = labelValuesDataSchema.parse(raw);
      return { data: values, rows: values.length, truncated: false };
    });
  }

  /** `/api/v1/metadata`: type, help and unit per metric name (optionally one metric). */
  async metadata(
    metric?: string,
  ): Promise<ToolResult<Record<string, Array<{ type?: string; help?: string; unit?: string }>>>> {
    const params = new URLSearchParams(metric ? { metric } : {});
    return this.#call({ operation: "metadata", query: metric ?? "" }, params, (raw) => {
      const data = metadataSchema.parse(raw);
      return { data, rows: Object.keys(data).length, truncated: false };
    });
  }

  /** `/api/v1/alerts`: the alerts Prometheus itself has pending or firing. */
  async alerts(): Promise<ToolResult<PromAlert[]>> {
    return this.#call({ operation: "alerts", query: "" }, new URLSearchParams(), (raw) => {
      const data = alertsSchema.parse(raw).alerts;
      return { data, rows: data.length, truncated: false };
    });
  }

  /** `/api/v1/rules`: alerting and recording rule groups with their state. */
  async rules(): Promise<ToolResult<unknown[]>> {
    return this.#call({ operation: "rules", query: "" }, new URLSearchParams(), (raw) => {
      const data = rulesSchema.parse(raw).groups;
      return { data, rows: data.length, truncated: false };
    });
  }

  /** `/api/v1/targets`: scrape targets and their health (a target that is down explains missing data). */
  async targets(): Promise<ToolResult<PromTarget[]>> {
    return this.#call({ operation: "targets", query: "" }, new URLSearchParams({ state: "active" }), (raw) => {
      const data = targetsSchema.parse(raw).activeTargets;
      return { data, rows: data.length, truncated: false };
    });
  }

  /** `/api/v1/series`: the label sets of the series matching any of `match` within `[startMs, endMs]`. */
  async series(match: string[], startMs: number, endMs: number): Promise<ToolResult<Array<Record<string, string>>>> {
    const params = new URLSearchParams({ start: seconds(startMs), end: seconds(endMs) });
    for (const m of match) params.append("match[]", m);
    const meta = { operation: "series", query: match.join(" or "), range: { from: startMs, to: endMs } } as const;
    return this.#call(meta, params, (raw) => {
      const all = seriesDataSchema.parse(raw);
      const truncated = all.length > this.#maxSeries;
      const data = truncated ? all.slice(0, this.#maxSeries) : all;
      return { data, rows: data.length, truncated };
    });
  }

  #parseQueryData(raw: unknown, warnings: string[]): Parsed<PromQueryData> {
    const parsed = queryDataSchema.parse(raw);
    let series: PromSeries[] = [];
    switch (parsed.resultType) {
      case "matrix":
        series = parsed.result.map((s) => ({ metric: s.metric, points: s.values }));
        break;
      case "vector":
        series = parsed.result.map((s) => ({ metric: s.metric, points: s.value ? [s.value] : [] }));
        break;
      case "scalar":
        series = [{ metric: {}, points: [parsed.result] }];
        break;
      case "string":
        // A string result has no numeric samples; callers see the result type and no series.
        break;
    }
    const truncated = series.length > this.#maxSeries;
    if (truncated) series = series.slice(0, this.#maxSeries);
    return { data: { resultType: parsed.resultType, series, warnings }, rows: series.length, truncated };
  }

  async #call<T>(
    meta: CallMeta,
    params: URLSearchParams,
    parse: (data: unknown, warnings: string[]) => Parsed<T>,
  ): Promise<ToolResult<T>> {
    const startedAt = Date.now();
    const outcome = await this.#send(meta, params);
    if (outcome.kind === "error") {
      this.#record(meta, startedAt, outcome.bytes, 0, outcome.truncated, outcome.error);
      return { ok: false, error: outcome.error };
    }
    const fail = (kind: ToolError["kind"], message: string): ToolResult<T> => {
      const error: ToolError = { backend: BACKEND, kind, message };
      this.#record(meta, startedAt, outcome.bytes, 0, false, error);
      return { ok: false, error };
    };

    let envelope: Envelope | undefined;
    try {
      envelope = envelopeSchema.parse(JSON.parse(outcome.text));
    } catch {
      envelope = undefined;
    }
    if (outcome.kind === "retryable" || outcome.status >= 300 || envelope?.status === "error") {
      // Prometheus explains a rejected query in `error` (e.g. a PromQL parse error with its position).
      const detail = envelope?.error
        ? `${envelope.errorType ?? "error"}: ${envelope.error}`
        : outcome.text.slice(0, 300).trim();
      return fail("http", `HTTP ${outcome.status} from ${READ_ENDPOINTS[meta.operation].path}: ${detail}`);
    }
    if (!envelope) return fail("parse", "response is not a Prometheus API envelope");

    let parsed: Parsed<T>;
    try {
      parsed = parse(envelope.data, envelope.warnings ?? []);
    } catch (err) {
      return fail("parse", `unexpected ${meta.operation} data: ${errorMessage(err)}`);
    }
    this.#record(meta, startedAt, outcome.bytes, parsed.rows, parsed.truncated);
    return { ok: true, data: parsed.data, truncated: parsed.truncated };
  }

  /** Runs the request with retries on 429/5xx; returns the last answer once retries are spent. */
  async #send(meta: CallMeta, params: URLSearchParams): Promise<AttemptOutcome> {
    let outcome: AttemptOutcome = { kind: "error", bytes: 0, truncated: false, error: unavailable("not attempted") };
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      outcome = await this.#attempt(meta, params);
      if (outcome.kind !== "retryable" || attempt === this.#retries) return outcome;
      const backoff = this.#retryBaseMs * 2 ** attempt * (0.5 + Math.random() / 2);
      const wait = outcome.retryAfterMs === undefined ? backoff : Math.min(outcome.retryAfterMs, this.#maxRetryAfterMs);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return outcome;
  }

  async #attempt(meta: CallMeta, params: URLSearchParams): Promise<AttemptOutcome> {
    const endpoint = READ_ENDPOINTS[meta.operation];
    const path = endpoint.path.replace("{name}", encodeURIComponent(meta.query));
    const encoded = params.toString();
    const usePost = endpoint.post && encoded.length > this.#postAboveChars;
    const url = usePost || encoded === "" ? `${this.#baseUrl}${path}` : `${this.#baseUrl}${path}?${encoded}`;
    // One signal bounds both the connection and reading the body, so a slow trickle also times out.
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        method: usePost ? "POST" : "GET",
        headers: usePost ? { ...this.#headers, "content-type": "application/x-www-form-urlencoded" } : this.#headers,
        body: usePost ? encoded : undefined,
        signal,
        redirect: "error",
      });
    } catch (err) {
      return { kind: "error", bytes: 0, truncated: false, error: this.#fetchError(err) };
    }

    const body = await readCapped(res, this.#maxBytes);
    if (body.kind === "failed") {
      return { kind: "error", bytes: body.bytes, truncated: false, error: this.#fetchError(body.cause) };
    }
    if (body.kind === "too_large") {
      const error: ToolError = {
        backend: BACKEND,
        kind: "denied",
        message: `response exceeds the ${this.#maxBytes}-byte cap; narrow the query (fewer series, larger step, shorter range)`,
      };
      return { kind: "error", bytes: body.bytes, truncated: true, error };
    }
    if (res.status === 429 || res.status >= 500) {
      const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
      return { kind: "retryable", status: res.status, text: body.text, bytes: body.bytes, retryAfterMs };
    }
    return { kind: "ok", status: res.status, text: body.text, bytes: body.bytes };
  }

  #fetchError(err: unknown): ToolError {
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
      return { backend: BACKEND, kind: "timeout", message: `no answer within ${this.#timeoutMs} ms` };
    }
    // undici hides the socket error (ECONNREFUSED, ENOTFOUND…) in `cause`.
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return { backend: BACKEND, kind: "network", message: `${errorMessage(err)}${cause}` };
  }

  #record(meta: CallMeta, startedAt: number, bytes: number, rows: number, truncated: boolean, error?: ToolError) {
    this.#onCall?.(callRecord(BACKEND, meta, startedAt, { bytes, rows, truncated, error }));
  }
}

function seconds(ms: number): string {
  return String(ms / 1000);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function unavailable(message: string): ToolError {
  return { backend: BACKEND, kind: "unavailable", message };
}
