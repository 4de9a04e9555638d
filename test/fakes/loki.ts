/**
 * A fixture Loki on node:http, shaped by Loki's HTTP API reference (docs/sources/reference/loki-http-api.md), for
 * offline tests. It parses LogQL with `@grafana/lezer-logql` and answers from fixture streams, so different
 * queries get different answers:
 *
 * - `/loki/api/v1/query_range`: log queries (stream selector with `=`, `!=`, `=~`, `!~` matchers and `|=`, `!=`,
 *   `|~`, `!~` line filters, `or` alternatives) → `streams`; `count_over_time`/`rate`, optionally under
 *   `sum by|without (…)` → `matrix`. Honours `start`/`end` (end exclusive, as Loki), `limit`, `direction`, `step`.
 * - `/loki/api/v1/query`: instant metric queries → `vector`; a log query → 400, as Loki.
 * - `/labels`, `/label/:name/values` (optional `query` selector), `/series` (`match[]`), `/index/volume`,
 *   `/index/stats`.
 * - Invalid LogQL → 400 `parse error …`; `limit` above 5000 → 400, as Loki's default `max_entries_limit_per_query`.
 * - With `tenant` set, a request without `X-Scope-OrgID` → 401 `no org id`; another tenant sees no data.
 * - Faults for the next requests: delay, any status (429 with `Retry-After`), malformed JSON, a huge body.
 *
 * Every request is recorded (`requests`) and reported to `auditRequest`. Other pipeline stages (parsers, label
 * filters, formatting) are refused with a 400 naming the fake, so a test never silently gets unfiltered lines.
 *
 * @example
 * const loki = await startFakeLoki({ streams: [{ labels: { service_name: "api" }, values: [[ns, "boom error"]] }] });
 * const client = new LokiClient({ baseUrl: loki.url });
 * loki.injectFault({ kind: "status", status: 503, times: 1 });
 * await loki.stop();
 */
import type { ServerResponse } from "node:http";
import { parser } from "@grafana/lezer-logql";
import type { SyntaxNode } from "@lezer/common";
import {
  checkLogQL,
  compileLokiRegex,
  type LabelMatcher,
  type LineFilterOp,
  parseSelector,
  unquoteLogQLString,
} from "../../tools/loki/logql.ts";
import { type RecordedRequest, startRecordingServer } from "../harness/recording-server.ts";
import { auditRequest } from "./audit.ts";

export interface FakeLokiStream {
  labels: Record<string, string>;
  /** `[nanosecond epoch string, line]`, any order. */
  values: Array<[string, string]>;
}

export interface FakeLokiOptions {
  streams: FakeLokiStream[];
  /** When set, requests must carry `X-Scope-OrgID` (401 `no org id` otherwise); other tenants see no data. */
  tenant?: string;
  maxEntriesLimit?: number; // default 5000, Loki's max_entries_limit_per_query
  /** The fake's clock, for defaulted `start`/`end`/`time`. */
  now?: () => number; // default Date.now
}

export type FakeLokiFault = (
  | { kind: "delay"; ms: number }
  | { kind: "status"; status: number; body?: string; retryAfter?: string }
  | { kind: "malformed" }
  | { kind: "huge"; bytes: number }
) & {
  times?: number; // default 1
  /** Only requests to this path (e.g. `/loki/api/v1/query_range`); all paths when absent. */
  path?: string;
};

export interface FakeLoki {
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Requests to one endpoint path. */
  requestsTo(path: string): RecordedRequest[];
  injectFault(fault: FakeLokiFault): void;
  clearFaults(): void;
  stop(): Promise<void>;
}

interface Entry {
  ns: bigint;
  nsText: string;
  ms: number;
  line: string;
}
interface Stream {
  labels: Record<string, string>;
  entries: Entry[]; // ascending
}

interface LineFilterSpec {
  op: LineFilterOp;
  values: string[];
  regexes?: RegExp[];
}
interface LogQuerySpec {
  kind: "log";
  matchers: LabelMatcher[];
  filters: LineFilterSpec[];
}
interface MetricQuerySpec {
  kind: "metric";
  fn: "count_over_time" | "rate";
  rangeMs: number;
  log: LogQuerySpec;
  aggregation?: { by?: string[]; without?: string[] };
}
type QuerySpec = LogQuerySpec | MetricQuerySpec;

class BadRequest extends Error {}

const MS_NS = 1_000_000n;

export async function startFakeLoki(options: FakeLokiOptions): Promise<FakeLoki> {
  const streams: Stream[] = options.streams.map((s) => ({
    labels: { ...s.labels },
    entries: s.values
      .map(([nsText, line]) => ({ ns: BigInt(nsText), nsText, ms: Number(BigInt(nsText) / 1000n) / 1000, line }))
      .sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0)),
  }));
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntriesLimit ?? 5000;
  const faults: Array<FakeLokiFault & { remaining: number }> = [];

  const server = await startRecordingServer(async (req, res) => {
    auditRequest({ backend: "loki", method: req.method, path: req.path });
    const fault = faults.find((f) => f.remaining > 0 && (f.path === undefined || f.path === req.path));
    if (fault) {
      fault.remaining--;
      if (fault.kind === "delay") await new Promise((resolve) => setTimeout(resolve, fault.ms));
      else return sendFault(res, fault);
    }
    if (req.method !== "GET" && req.method !== "POST") return sendText(res, 405, "method not allowed");
    if (req.method === "POST" && !/^\/loki\/api\/v1\/(query|query_range|series|labels)$/.test(req.path)) {
      return sendText(res, 405, "method not allowed");
    }
    const params = new URLSearchParams(req.query);
    if (req.method === "POST") for (const [k, v] of new URLSearchParams(req.body)) params.append(k, v);

    let visible = streams;
    if (options.tenant) {
      const orgId = req.headers["x-scope-orgid"];
      if (typeof orgId !== "string" || orgId === "") return sendText(res, 401, "no org id");
      if (!orgId.split("|").includes(options.tenant)) visible = [];
    }
    try {
      const answer = route(req.path, params, visible);
      if (answer === undefined) return sendText(res, 404, "404 page not found");
      return sendJson(res, answer);
    } catch (err) {
      if (err instanceof BadRequest) return sendText(res, 400, err.message);
      throw err;
    }
  });

  function route(path: string, params: URLSearchParams, visible: Stream[]): unknown {
    const label = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(path);
    if (label?.[1]) {
      const { start, end } = timeRange(params, 6 * 3600_000);
      const names = new Set<string>();
      for (const s of selectStreams(visible, optionalSelector(params), start, end)) {
        const v = s.labels[decodeURIComponent(label[1])];
        if (v !== undefined) names.add(v);
      }
      return success([...names].sort());
    }
    switch (path) {
      case "/loki/api/v1/query_range":
        return queryRange(params, visible);
      case "/loki/api/v1/query":
        return instantQuery(params, visible);
      case "/loki/api/v1/labels": {
        const { start, end } = timeRange(params, 6 * 3600_000);
        const names = new Set<string>();
        for (const s of selectStreams(visible, optionalSelector(params), start, end)) {
          for (const k of Object.keys(s.labels)) names.add(k);
        }
        return success([...names].sort());
      }
      case "/loki/api/v1/series": {
        const match = params.getAll("match[]");
        if (match.length === 0) throw new BadRequest("at least one match[] argument is required");
        const matcherSets = match.map((m) => parseSelectorQuery(m));
        const { start, end } = timeRange(params, 3600_000);
        const seen = new Set<Stream>();
        for (const spec of matcherSets) for (const s of selectStreams(visible, spec.matchers, start, end)) seen.add(s);
        return success([...seen].map((s) => s.labels));
      }
      case "/loki/api/v1/index/volume":
        return volume(params, visible);
      case "/loki/api/v1/index/stats": {
        const spec = requiredSelector(params);
        const { start, end } = timeRange(params, 3600_000);
        const selected = selectStreams(visible, spec.matchers, start, end);
        let entries = 0;
        let bytes = 0;
        for (const s of selected) {
          for (const e of inRange(s, start, end)) {
            entries++;
            bytes += Buffer.byteLength(e.line);
          }
        }
        return { streams: selected.length, chunks: selected.length, entries, bytes };
      }
      default:
        return undefined;
    }
  }

  function queryRange(params: URLSearchParams, visible: Stream[]): unknown {
    const query = params.get("query") ?? "";
    const spec = parseQuery(query);
    const { start, end } = timeRange(params, 3600_000);
    if (spec.kind === "metric") {
      const stepMs = parseStep(params.get("step"), start, end);
      const points: bigint[] = [];
      const stepNs = BigInt(Math.round(stepMs * 1e6));
      for (let t = start; t <= end; t += stepNs) points.push(t);
      return success({ resultType: "matrix", result: evaluateMetric(spec, visible, points), stats: stats(0, 0) });
    }
    const limit = parseLimit(params.get("limit"));
    const direction = params.get("direction") ?? "backward";
    if (direction !== "forward" && direction !== "backward") {
      throw new BadRequest(`invalid direction '${direction}'`);
    }
    return success({ resultType: "streams", ...selectLines(spec, visible, start, end, limit, direction) });
  }

  function instantQuery(params: URLSearchParams, visible: Stream[]): unknown {
    const spec = parseQuery(params.get("query") ?? "");
    if (spec.kind === "log") {
      throw new BadRequest(
        "log queries are not supported as an instant query type, please change your query to a range query type",
      );
    }
    const time = params.has("time") ? parseTime(params.get("time") as string) : BigInt(now()) * MS_NS;
    const result = evaluateMetric(spec, visible, [time]).map((s) => ({ metric: s.metric, value: s.values[0] }));
    return success({ resultType: "vector", result, stats: stats(0, 0) });
  }

  function volume(params: URLSearchParams, visible: Stream[]): unknown {
    const spec = requiredSelector(params);
    const { start, end } = timeRange(params, 3600_000);
    const target = params.get("targetLabels")?.split(",").filter(Boolean);
    const by = target && target.length > 0 ? target : [...new Set(spec.matchers.map((m) => m.name))];
    const groups = new Map<string, { metric: Record<string, string>; bytes: number }>();
    for (const s of selectStreams(visible, spec.matchers, start, end)) {
      const metric: Record<string, string> = {};
      for (const name of by) {
        const value = s.labels[name];
        if (value !== undefined) metric[name] = params.get("aggregateBy") === "labels" ? "" : value;
      }
      const key = JSON.stringify(metric);
      const group = groups.get(key) ?? { metric, bytes: 0 };
      for (const e of inRange(s, start, end)) group.bytes += Buffer.byteLength(e.line);
      groups.set(key, group);
    }
    const limit = Number(params.get("limit") ?? 100);
    const endSec = Number(end / MS_NS) / 1000;
    const result = [...groups.values()]
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, limit)
      .map((g) => ({ metric: g.metric, value: [endSec, String(g.bytes)] }));
    return success({ resultType: "vector", result, stats: stats(0, 0) });
  }

  function selectLines(
    spec: LogQuerySpec,
    visible: Stream[],
    start: bigint,
    end: bigint,
    limit: number,
    direction: "forward" | "backward",
  ) {
    const picked: Array<{ stream: Stream; entry: Entry }> = [];
    let processed = 0;
    let bytes = 0;
    for (const stream of selectStreams(visible, spec.matchers)) {
      for (const entry of inRange(stream, start, end)) {
        processed++;
        bytes += Buffer.byteLength(entry.line);
        if (passes(spec.filters, entry.line)) picked.push({ stream, entry });
      }
    }
    const sign = direction === "forward" ? 1 : -1;
    picked.sort((a, b) => (a.entry.ns === b.entry.ns ? 0 : a.entry.ns < b.entry.ns ? -sign : sign));
    const byStream = new Map<Stream, Array<[string, string]>>();
    for (const { stream, entry } of picked.slice(0, limit)) {
      const values = byStream.get(stream) ?? [];
      values.push([entry.nsText, entry.line]);
      byStream.set(stream, values);
    }
    const result = [...byStream].map(([stream, values]) => ({ stream: stream.labels, values }));
    return { result, stats: stats(processed, bytes) };
  }

  function evaluateMetric(spec: MetricQuerySpec, visible: Stream[], times: bigint[]) {
    const rangeNs = BigInt(spec.rangeMs) * MS_NS;
    const series = new Map<string, { metric: Record<string, string>; values: Map<number, number> }>();
    for (const stream of selectStreams(visible, spec.log.matchers)) {
      const lines = stream.entries.filter((e) => passes(spec.log.filters, e.line));
      const metric = groupLabels(stream.labels, spec.aggregation);
      const key = JSON.stringify(Object.entries(metric).sort());
      const s = series.get(key) ?? { metric, values: new Map<number, number>() };
      series.set(key, s);
      times.forEach((t, i) => {
        const count = lines.filter((e) => e.ns > t - rangeNs && e.ns <= t).length;
        // Loki leaves out steps where a stream had no lines in the window.
        if (count === 0) return;
        const value = spec.fn === "rate" ? count / (spec.rangeMs / 1000) : count;
        s.values.set(i, (s.values.get(i) ?? 0) + value);
      });
    }
    return [...series.values()]
      .filter((s) => s.values.size > 0)
      .map((s) => ({
        metric: s.metric,
        values: [...s.values.entries()]
          .sort(([a], [b]) => a - b)
          .map(([i, v]): [number, string] => [Number((times[i] as bigint) / MS_NS) / 1000, String(v)]),
      }));
  }

  function parseLimit(raw: string | null): number {
    if (raw === null) return 100;
    const limit = Number(raw);
    if (!Number.isInteger(limit)) throw new BadRequest(`invalid limit '${raw}'`);
    if (limit <= 0) throw new BadRequest("limit must be a positive value");
    if (limit > maxEntries) {
      throw new BadRequest(
        `max entries limit per query exceeded, limit > max_entries_limit (${limit} > ${maxEntries})`,
      );
    }
    return limit;
  }

  function timeRange(params: URLSearchParams, defaultSpanMs: number): { start: bigint; end: bigint } {
    const end = params.has("end") ? parseTime(params.get("end") as string) : BigInt(now()) * MS_NS;
    const start = params.has("start") ? parseTime(params.get("start") as string) : end - BigInt(defaultSpanMs) * MS_NS;
    if (end < start) throw new BadRequest("end timestamp must not be before or equal to start time");
    return { start, end };
  }

  return {
    url: server.url,
    requests: server.requests,
    requestsTo: (path) => server.requests.filter((r) => r.path === path),
    injectFault(fault) {
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    stop: () => server.stop(),
  };
}

function success(data: unknown): unknown {
  return { status: "success", data };
}

function stats(lines: number, bytes: number) {
  return {
    summary: { totalLinesProcessed: lines, totalBytesProcessed: bytes, execTime: 0.001, queueTime: 0 },
    ingester: { totalLinesSent: lines },
    store: {},
  };
}

function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Loki answers errors as plain text (Go's `http.Error`), newline-terminated. */
function sendText(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
  res.end(`${message}\n`);
}

function sendFault(res: ServerResponse, fault: FakeLokiFault): void {
  if (fault.kind === "status") {
    const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
    if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
    res.writeHead(fault.status, headers);
    res.end(fault.body ?? `injected ${fault.status}\n`);
    return;
  }
  if (fault.kind === "malformed") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"status":"success","data":{"resultType":"streams","result":[{"stream":');
    return;
  }
  if (fault.kind === "huge") {
    // Chunked, no content-length: the client has to enforce its cap while reading, not from a header.
    res.writeHead(200, { "content-type": "application/json" });
    res.on("error", () => undefined);
    res.write('{"status":"success","data":{"resultType":"streams","result":[{"stream":{"a":"b"},"values":[');
    const chunk = `["1","${"x".repeat(64 * 1024)}"],`;
    let written = 0;
    const writeMore = (): void => {
      while (written < fault.bytes && !res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once("drain", writeMore);
          return;
        }
      }
      if (!res.destroyed) res.end('["1","end"]]}]}}');
    };
    writeMore();
  }
}

/** Loki's timestamps: integer ns epoch, float seconds, or RFC3339. */
function parseTime(raw: string): bigint {
  if (/^\d+$/.test(raw)) return BigInt(raw);
  if (/^\d+\.\d*$/.test(raw)) return BigInt(Math.round(Number(raw) * 1e6)) * 1000n;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new BadRequest(`cannot parse "${raw}" to a valid timestamp`);
  return BigInt(ms) * MS_NS;
}

/** `step` as a duration or float seconds; Loki's default is `ceil(range / 250)` seconds, at least 1 s. */
function parseStep(raw: string | null, start: bigint, end: bigint): number {
  if (raw === null || raw === "") {
    const rangeSec = Number((end - start) / MS_NS) / 1000;
    return Math.max(1, Math.ceil(rangeSec / 250)) * 1000;
  }
  const seconds = Number(raw);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : parseDuration(raw);
  if (ms === undefined || ms <= 0) {
    throw new BadRequest("zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  return ms;
}

function parseDuration(raw: string): number | undefined {
  const units: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, y: 3.1536e10 };
  const parts = [...raw.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== raw) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] as string] ?? 0), 0);
}

function optionalSelector(params: URLSearchParams): LabelMatcher[] | undefined {
  const query = params.get("query");
  return query ? parseSelectorQuery(query).matchers : undefined;
}

function requiredSelector(params: URLSearchParams): LogQuerySpec {
  const query = params.get("query");
  if (!query) throw new BadRequest("query parameter is required");
  return parseSelectorQuery(query);
}

/** Streams matching every matcher and, when a range is given, with at least one line in `[start, end)`. */
function selectStreams(
  streams: Stream[],
  matchers: LabelMatcher[] | undefined,
  start?: bigint,
  end?: bigint,
): Stream[] {
  const compiled = (matchers ?? []).map((m) => ({
    ...m,
    re: m.op.includes("~") ? compileLokiRegex(m.value, true) : undefined,
  }));
  return streams.filter((s) => {
    for (const m of compiled) {
      const value = s.labels[m.name] ?? "";
      const ok =
        m.op === "="
          ? value === m.value
          : m.op === "!="
            ? value !== m.value
            : (m.re?.test(value) ?? false) === (m.op === "=~");
      if (!ok) return false;
    }
    return start === undefined || end === undefined || inRange(s, start, end).length > 0;
  });
}

function inRange(stream: Stream, start: bigint, end: bigint): Entry[] {
  return stream.entries.filter((e) => e.ns >= start && e.ns < end);
}

function passes(filters: LineFilterSpec[], line: string): boolean {
  for (const f of filters) {
    const hit =
      f.op === "|=" || f.op === "!="
        ? f.values.some((v) => line.includes(v))
        : (f.regexes ?? []).some((re) => re.test(line));
    const wanted = f.op === "|=" || f.op === "|~";
    if (hit !== wanted) return false;
  }
  return true;
}

function groupLabels(
  labels: Record<string, string>,
  aggregation: MetricQuerySpec["aggregation"],
): Record<string, string> {
  if (!aggregation) return labels;
  if (aggregation.by) {
    const out: Record<string, string> = {};
    for (const name of aggregation.by) if (labels[name] !== undefined) out[name] = labels[name];
    return out;
  }
  const without = new Set(aggregation.without ?? []);
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !without.has(k)));
}

/**
 * Reads a LogQL query into what the fake can evaluate, walking the lezer syntax tree. `selector` accepts only a
 * bare stream selector is all `/series`, `/labels` and `/index/*` accept.
 */
function parseSelectorQuery(query: string): LogQuerySpec {
  const spec = parseQuery(query);
  if (spec.kind !== "log" || spec.filters.length > 0) {
    throw new BadRequest(`parse error: only a stream selector is accepted here: ${query}`);
  }
  return spec;
}

function parseQuery(query: string): QuerySpec {
  const check = checkLogQL(query);
  if (!check.ok) throw new BadRequest(check.error);
  const tree = parser.parse(query);
  const expr = tree.topNode.getChild("Expr");
  const top = expr?.firstChild;
  if (!top) throw new BadRequest("parse error: empty query");
  return top.name === "LogExpr" ? readLogExpr(query, top) : readMetricExpr(query, top);
}

function readLogExpr(query: string, node: SyntaxNode): LogQuerySpec {
  const selector = node.getChild("Selector");
  if (!selector) throw new BadRequest("parse error: missing stream selector");
  const matchers = parseSelector(query.slice(selector.from, selector.to));
  if (!matchers) throw new BadRequest("parse error: invalid stream selector");
  const filters: LineFilterSpec[] = [];
  const pipeline = node.getChild("PipelineExpr");
  if (pipeline) readPipeline(query, pipeline, filters);
  return { kind: "log", matchers, filters };
}

function readPipeline(query: string, pipeline: SyntaxNode, filters: LineFilterSpec[]): void {
  const cursor = pipeline.cursor();
  cursor.iterate((n) => {
    if (n.name === "PipelineExpr") return true;
    if (n.name === "PipelineStage") {
      if (!n.node.getChild("LineFilters")) {
        throw new BadRequest(`fake loki: unsupported pipeline stage '${query.slice(n.from, n.to)}'`);
      }
      return true;
    }
    if (n.name === "LineFilters") return true;
    if (n.name === "LineFilter") {
      filters.push(readLineFilter(query, n.node));
      return false;
    }
    return false;
  });
}

function readLineFilter(query: string, node: SyntaxNode): LineFilterSpec {
  const filter = node.getChild("Filter");
  const opName = filter?.firstChild?.name;
  const ops: Record<string, LineFilterOp> = { PipeExact: "|=", Neq: "!=", PipeMatch: "|~", Nre: "!~" };
  const op = opName ? ops[opName] : undefined;
  if (!op || node.getChild("FilterOp")) {
    throw new BadRequest(`fake loki: unsupported line filter '${query.slice(node.from, node.to)}'`);
  }
  const values: string[] = [];
  const cursor = node.cursor();
  cursor.iterate((n) => {
    if (n.name !== "String") return true;
    const value = unquoteLogQLString(query.slice(n.from, n.to));
    if (value === undefined) throw new BadRequest(`parse error: invalid string ${query.slice(n.from, n.to)}`);
    values.push(value);
    return false;
  });
  if (op === "|~" || op === "!~") {
    const regexes = values.map((v) => {
      const re = compileLokiRegex(v, false);
      if (!re) throw new BadRequest(`parse error : error parsing regexp: invalid regex \`${v}\``);
      return re;
    });
    return { op, values, regexes };
  }
  return { op, values };
}

function readMetricExpr(query: string, node: SyntaxNode): MetricQuerySpec {
  const inner = node.firstChild;
  if (inner?.name === "RangeAggregationExpr") return readRangeAggregation(query, inner);
  if (inner?.name === "VectorAggregationExpr") {
    const op = inner.getChild("VectorOp")?.firstChild?.name;
    const metric = inner.getChild("MetricExpr")?.firstChild;
    if (op !== "Sum" || metric?.name !== "RangeAggregationExpr" || inner.getChild("Number")) {
      throw new BadRequest(`fake loki: unsupported metric query '${query}'`);
    }
    const spec = readRangeAggregation(query, metric);
    const grouping = inner.getChild("Grouping");
    const labels: string[] = [];
    grouping
      ?.getChild("Labels")
      ?.getChildren("Identifier")
      .forEach((id) => {
        labels.push(query.slice(id.from, id.to));
      });
    spec.aggregation = grouping?.getChild("Without") ? { without: labels } : { by: labels };
    return spec;
  }
  throw new BadRequest(`fake loki: unsupported metric query '${query}'`);
}

function readRangeAggregation(query: string, node: SyntaxNode): MetricQuerySpec {
  const opName = node.getChild("RangeOp")?.firstChild?.name;
  const fn = opName === "CountOverTime" ? "count_over_time" : opName === "Rate" ? "rate" : undefined;
  const logRange = node.getChild("LogRangeExpr");
  if (!fn || !logRange || logRange.getChild("OffsetExpr") || logRange.getChild("UnwrapExpr")) {
    throw new BadRequest(`fake loki: unsupported range aggregation '${query.slice(node.from, node.to)}'`);
  }
  const duration = logRange.getChild("Range")?.getChild("Duration");
  const rangeMs = duration ? parseDuration(query.slice(duration.from, duration.to)) : undefined;
  if (!rangeMs) throw new BadRequest("parse error: invalid range");
  return { kind: "metric", fn, rangeMs, log: readLogExpr(query, logRange) };
}
