/**
 * A fake Grafana Tempo on node:http, shaped by Tempo's API docs, for offline tests of `tools/tempo`.
 *
 * - `/api/search`: parses `q` with `@grafana/lezer-traceql` and evaluates spanset filters over the fixture spans
 *   (`resource.*`, `span.*`, unscoped `.attr`, intrinsics `status`, `duration`, `name`, `kind`; `= != > >= < <= =~ !~`;
 *   `&&`/`||` inside a filter and between filters). Invalid TraceQL → 400 like Tempo; pipelines and structural
 *   operators → 400 "unsupported by the fake" so a test never passes on a silently ignored condition.
 *   Honours `start`/`end` (unix seconds, overlap like Tempo), `limit` (default 20) and `spss` (default 3).
 * - `/api/v2/traces/:id` → `{trace: OTLP JSON}` (ids base64, as Tempo's gogo-protobuf encoder writes them);
 *   `/api/traces/:id` → bare OTLP; 404 for unknown ids. `/api/v2/search/tags`, `/api/v2/search/tag/:t/values`,
 *   `/api/echo`.
 * - Records every request (and reports it to the read-only audit); checks `X-Scope-OrgID` when `tenant` is set.
 * - Fault injection: `fake.inject({ status: 500 })`, `{ status: 429, retryAfterSeconds: 1 }`, `{ delayMs }`,
 *   `{ body: "malformed" }`, `{ body: "huge" }`, each for `times` requests (default 1) matching `path`.
 *
 * @example
 * const tempo = await startFakeTempo({ spans });
 * const client = new TempoClient({ baseUrl: tempo.url });
 * tempo.inject({ status: 500 });
 * await tempo.close();
 */
import type { ServerResponse } from "node:http";
import { parser } from "@grafana/lezer-traceql";
import type { SyntaxNode } from "@lezer/common";
import type { SpanRecord } from "../../tools/interfaces.ts";
import { spanRecordsToOtlp } from "../../tools/otlp/encode.ts";
import { type RecordedRequest, startRecordingServer } from "../harness/recording-server.ts";
import { auditRequest } from "./audit.ts";

export interface FakeTraceFault {
  times?: number; // default 1
  /** Only requests whose path matches; default every path. */
  path?: RegExp;
  /** Wait before answering (a slow backend); the answer is the normal one unless status/body say otherwise. */
  delayMs?: number;
  status?: number;
  retryAfterSeconds?: number;
  /** "malformed": a 200 that is not JSON; "huge": a 200 streaming `hugeBytes` (default 8 MiB) of JSON. */
  body?: "malformed" | "huge";
  /** A 200 with this JSON instead of the normal answer (valid JSON of the wrong shape). */
  json?: unknown;
  hugeBytes?: number;
}

/** Picks the first pending fault for a path and consumes one of its `times`. */
export function takeFault(faults: FakeTraceFault[], path: string): FakeTraceFault | undefined {
  const index = faults.findIndex((f) => !f.path || f.path.test(path));
  if (index < 0) return undefined;
  const fault = faults[index];
  const left = (fault.times ?? 1) - 1;
  if (left <= 0) faults.splice(index, 1);
  else faults[index] = { ...fault, times: left };
  return fault;
}

/** Answers a fault; true when the response is finished and the normal handler must not run. */
export async function answerFault(fault: FakeTraceFault, res: ServerResponse): Promise<boolean> {
  // The client may abort on its timeout; writes to a dead socket must not crash the fake.
  res.on("error", () => undefined);
  if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  if (res.destroyed) return true;
  if (fault.status) {
    const headers: Record<string, string> = { "content-type": "text/plain" };
    if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
    res.writeHead(fault.status, headers);
    res.end(`injected ${fault.status}`);
    return true;
  }
  if (fault.json !== undefined) {
    sendJson(res, 200, fault.json);
    return true;
  }
  if (fault.body === "malformed") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"traces": [ {"traceID": "abc"');
    return true;
  }
  if (fault.body === "huge") {
    // Streamed without content-length so the client's cap must stop reading mid-body.
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let left = fault.hugeBytes ?? 8 * 1024 * 1024;
    res.write("[");
    while (left > 0 && !res.destroyed) {
      const ok = res.write(chunk);
      left -= chunk.length;
      if (!ok) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
    }
    if (!res.destroyed) res.end("]");
    return true;
  }
  return false;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

// ---------------------------------------------------------------------------------------------------------------
// TraceQL evaluation over SpanRecords

type Value = string | number | boolean | undefined | { duration: number } | { keyword: string };

class UnsupportedTraceQL extends Error {}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(text);
  if (!match) throw new UnsupportedTraceQL(`duration ${text}`);
  return Number(match[1]) * DURATION_UNITS[match[2]];
}

function unquote(text: string): string {
  return text.slice(1, -1).replace(/\\(.)/g, "$1");
}

function fieldValue(node: SyntaxNode, q: string, span: SpanRecord): Value {
  const text = q.slice(node.from, node.to);
  if (node.name === "IntrinsicField") {
    switch (text) {
      case "status":
        return { keyword: span.status };
      case "duration":
        return { duration: span.durationMs };
      case "name":
        return span.name;
      case "kind":
        return { keyword: String(span.attributes["span.kind"] ?? "unspecified") };
      default:
        throw new UnsupportedTraceQL(`intrinsic ${text}`);
    }
  }
  if (text === "resource.service.name" || text === ".service.name") return span.service;
  let key: string;
  if (text.startsWith("resource.")) key = text;
  else if (text.startsWith("span.")) key = text.slice("span.".length);
  else if (text.startsWith(".")) key = text.slice(1);
  else throw new UnsupportedTraceQL(`attribute ${text}`);
  const v = span.attributes[key] ?? (text.startsWith(".") ? span.attributes[`resource.${key}`] : undefined);
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : undefined;
}

function staticValue(node: SyntaxNode, q: string): Value {
  const inner = node.firstChild;
  const text = q.slice(node.from, node.to);
  if (!inner) {
    if (text === "true" || text === "false") return text === "true";
    return { keyword: text };
  }
  switch (inner.name) {
    case "String":
      return unquote(text);
    case "Integer":
    case "Float":
      return Number(text);
    case "Duration":
      return { duration: parseDuration(text) };
    default:
      throw new UnsupportedTraceQL(`static ${inner.name}`);
  }
}

function primitive(v: Value): string | number | boolean | undefined {
  if (v === undefined || typeof v !== "object") return v;
  return "duration" in v ? v.duration : v.keyword;
}

function compare(op: string, left: Value, right: Value): boolean {
  const a = primitive(left);
  const b = primitive(right);
  // A missing attribute matches no comparison, not even `!=`, as in Tempo.
  if (a === undefined || b === undefined) return false;
  if (op === "=~" || op === "!~") {
    const matched = new RegExp(`^(?:${String(b)})$`).test(String(a));
    return op === "=~" ? matched : !matched;
  }
  // TraceQL compares like types only: 500 never equals "500".
  if (typeof a !== typeof b) return op === "!=";
  switch (op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    default:
      throw new UnsupportedTraceQL(`operator ${op}`);
  }
}

function evalField(node: SyntaxNode, q: string, span: SpanRecord): Value {
  const kids = children(node);
  if (kids.length === 1) {
    const only = kids[0];
    if (only.name === "FieldExpression") return evalField(only, q, span);
    if (only.name === "Static") return staticValue(only, q);
    if (only.name === "IntrinsicField" || only.name === "AttributeField") return fieldValue(only, q, span);
    throw new UnsupportedTraceQL(only.name);
  }
  if (kids.length === 3) {
    const op = kids[1];
    if (op.name === "And") return evalField(kids[0], q, span) === true && evalField(kids[2], q, span) === true;
    if (op.name === "Or") return evalField(kids[0], q, span) === true || evalField(kids[2], q, span) === true;
    if (op.name === "FieldOp") {
      return compare(q.slice(op.from, op.to), evalField(kids[0], q, span), evalField(kids[2], q, span));
    }
  }
  throw new UnsupportedTraceQL(q.slice(node.from, node.to));
}

/** The spans of one trace matched by a spanset expression; empty when the trace does not match. */
function evalSpanset(node: SyntaxNode, q: string, spans: SpanRecord[]): SpanRecord[] {
  const kids = children(node);
  switch (node.name) {
    case "TraceQL":
    case "SpansetPipeline":
    case "WrappedSpansetPipeline":
      if (kids.length !== 1) throw new UnsupportedTraceQL("pipelines");
      return evalSpanset(kids[0], q, spans);
    case "SpansetPipelineExpression":
    case "SpansetExpression": {
      if (kids.length === 1) return evalSpanset(kids[0], q, spans);
      if (kids.length !== 3) throw new UnsupportedTraceQL(q.slice(node.from, node.to));
      const left = evalSpanset(kids[0], q, spans);
      const right = evalSpanset(kids[2], q, spans);
      if (kids[1].name === "And") return left.length > 0 && right.length > 0 ? [...new Set([...left, ...right])] : [];
      if (kids[1].name === "Or") return [...new Set([...left, ...right])];
      throw new UnsupportedTraceQL(`structural operator ${q.slice(kids[1].from, kids[1].to)}`);
    }
    case "SpansetFilter": {
      if (kids.length === 0) return spans;
      return spans.filter((s) => evalField(kids[0], q, s) === true);
    }
    default:
      throw new UnsupportedTraceQL(node.name);
  }
}

type Matcher =
  | { ok: true; match: (spans: SpanRecord[]) => SpanRecord[]; fields: string[] }
  | { ok: false; message: string };

/** Compiles a TraceQL query for the fake; `ok: false` carries the 400 message Tempo would give. */
export function compileFakeTraceQL(q: string): Matcher {
  const tree = parser.parse(q);
  let errorAt = -1;
  const fields: string[] = [];
  tree.iterate({
    enter(n) {
      if (n.type.isError && errorAt < 0) errorAt = n.from;
      if (n.name === "IntrinsicField" || n.name === "AttributeField") fields.push(q.slice(n.from, n.to));
    },
  });
  if (errorAt >= 0 || q.trim() === "")
    return { ok: false, message: `invalid TraceQL query: parse error at ${errorAt}` };
  const match = (spans: SpanRecord[]) => evalSpanset(tree.topNode, q, spans);
  try {
    match([]);
    // Walk once over a probe span so unsupported fields fail at compile time, not per trace.
    match([
      {
        traceId: "0",
        spanId: "0",
        parentSpanId: "",
        service: "",
        name: "",
        startMs: 0,
        durationMs: 0,
        status: "unset",
        attributes: {},
      },
    ]);
  } catch (err) {
    if (err instanceof UnsupportedTraceQL) return { ok: false, message: `unsupported by the fake: ${err.message}` };
    return { ok: false, message: `invalid TraceQL query: ${(err as Error).message}` };
  }
  return { ok: true, match, fields };
}

// ---------------------------------------------------------------------------------------------------------------

export interface FakeTempoOptions {
  spans: SpanRecord[];
  /** When set, every request must carry `X-Scope-OrgID: <tenant>` (401 otherwise, as multi-tenant Tempo). */
  tenant?: string;
}

export interface FakeTempo {
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  inject(fault: FakeTraceFault): void;
  close(): Promise<void>;
}

interface FakeTrace {
  traceId: string;
  spans: SpanRecord[];
  root: SpanRecord;
  startMs: number;
  endMs: number;
}

export function groupTraces(spans: SpanRecord[]): FakeTrace[] {
  const byTrace = new Map<string, SpanRecord[]>();
  for (const s of spans) {
    const list = byTrace.get(s.traceId);
    if (list) list.push(s);
    else byTrace.set(s.traceId, [s]);
  }
  const traces: FakeTrace[] = [];
  for (const [traceId, list] of byTrace) {
    const ids = new Set(list.map((s) => s.spanId));
    const roots = list.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)).sort((a, b) => a.startMs - b.startMs);
    const root = roots[0] ?? list[0];
    const startMs = Math.min(...list.map((s) => s.startMs));
    const endMs = Math.max(...list.map((s) => s.startMs + s.durationMs));
    traces.push({ traceId, spans: list, root, startMs, endMs });
  }
  return traces;
}

function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

function searchAttributes(span: SpanRecord, fields: string[]): unknown[] {
  const out: unknown[] = [];
  for (const field of new Set(fields)) {
    if (field === "status") out.push({ key: "status", value: { stringValue: span.status } });
    else if (field === "resource.service.name") out.push({ key: "service.name", value: { stringValue: span.service } });
    else if (field.startsWith("span.") || field.startsWith(".")) {
      const key = field.replace(/^span\.|^\./, "");
      const v = span.attributes[key];
      if (typeof v === "number") out.push({ key, value: { intValue: String(v) } });
      else if (v !== undefined) out.push({ key, value: { stringValue: String(v) } });
    }
  }
  return out;
}

export async function startFakeTempo(options: FakeTempoOptions): Promise<FakeTempo> {
  const traces = groupTraces(options.spans);
  const byId = new Map(traces.map((t) => [t.traceId, t]));
  const faults: FakeTraceFault[] = [];

  const server = await startRecordingServer(async (req, res) => {
    auditRequest({ backend: "tempo", method: req.method, path: req.path });
    const fault = takeFault(faults, req.path);
    if (fault && (await answerFault(fault, res))) return;
    if (req.method !== "GET") return sendJson(res, 405, { error: "method not allowed" });
    if (options.tenant && req.headers["x-scope-orgid"] !== options.tenant) {
      res.writeHead(401, { "content-type": "text/plain" });
      return res.end("no org id");
    }
    const q = req.query;
    const startMs = q.has("start") ? Number(q.get("start")) * 1000 : Number.NEGATIVE_INFINITY;
    const endMs = q.has("end") ? Number(q.get("end")) * 1000 : Number.POSITIVE_INFINITY;
    const inRange = (t: FakeTrace) => t.startMs <= endMs && t.endMs >= startMs;

    if (req.path === "/api/echo") {
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end("echo");
    }
    if (req.path === "/api/search") {
      const compiled = compileFakeTraceQL(q.get("q") ?? "{}");
      if (!compiled.ok) {
        res.writeHead(400, { "content-type": "text/plain" });
        return res.end(compiled.message);
      }
      const limit = Number(q.get("limit") ?? 20) || 20;
      const spss = Number(q.get("spss") ?? 3) || 3;
      const hits: unknown[] = [];
      let inspected = 0;
      // Tempo lists the most recent traces first.
      for (const t of [...traces].sort((a, b) => b.startMs - a.startMs || a.traceId.localeCompare(b.traceId))) {
        if (!inRange(t)) continue;
        inspected++;
        const matched = compiled.match(t.spans);
        if (matched.length === 0) continue;
        if (hits.length >= limit) break;
        const spanSet = {
          spans: matched.slice(0, spss).map((s) => ({
            spanID: s.spanId,
            name: s.name,
            startTimeUnixNano: nanos(s.startMs),
            durationNanos: nanos(s.durationMs),
            attributes: searchAttributes(s, compiled.fields),
          })),
          matched: matched.length,
        };
        hits.push({
          traceID: t.traceId,
          rootServiceName: t.root.service,
          rootTraceName: t.root.name,
          startTimeUnixNano: nanos(t.startMs),
          ...(t.endMs - t.startMs >= 1 ? { durationMs: Math.round(t.endMs - t.startMs) } : {}),
          spanSet,
          spanSets: [spanSet],
        });
      }
      return sendJson(res, 200, {
        traces: hits,
        metrics: {
          inspectedTraces: inspected,
          inspectedBytes: String(inspected * 1000),
          totalBlocks: 1,
          completedJobs: 1,
          totalJobs: 1,
        },
      });
    }
    const traceMatch = /^\/api(\/v2)?\/traces\/([0-9a-fA-F]+)$/.exec(req.path);
    if (traceMatch) {
      const trace = byId.get(traceMatch[2].toLowerCase());
      if (!trace) {
        res.writeHead(404, { "content-type": "text/plain" });
        return res.end("trace not found");
      }
      const otlp = spanRecordsToOtlp(trace.spans, { idEncoding: "base64" });
      // v1 names the list `batches`; v2 wraps the OTLP document in `trace`.
      if (!traceMatch[1]) return sendJson(res, 200, { batches: otlp.resourceSpans });
      return sendJson(res, 200, { trace: otlp, status: "COMPLETE" });
    }
    if (req.path === "/api/v2/search/tags") {
      const spanTags = new Set<string>();
      const resourceTags = new Set<string>(["service.name"]);
      for (const t of traces) {
        if (!inRange(t)) continue;
        for (const s of t.spans) {
          for (const key of Object.keys(s.attributes)) {
            if (key.startsWith("resource.")) resourceTags.add(key.slice("resource.".length));
            else spanTags.add(key);
          }
        }
      }
      return sendJson(res, 200, {
        scopes: [
          { name: "resource", tags: [...resourceTags].sort() },
          { name: "span", tags: [...spanTags].sort() },
          { name: "intrinsic", tags: ["duration", "kind", "name", "status", "statusMessage"] },
        ],
      });
    }
    const valuesMatch = /^\/api\/v2\/search\/tag\/([^/]+)\/values$/.exec(req.path);
    if (valuesMatch) {
      const tag = decodeURIComponent(valuesMatch[1]);
      const values = new Set<string>();
      for (const t of traces) {
        if (!inRange(t)) continue;
        for (const s of t.spans) {
          const v = tag === "resource.service.name" ? s.service : s.attributes[tag.replace(/^span\./, "")];
          if (v !== undefined) values.add(String(v));
        }
      }
      return sendJson(res, 200, { tagValues: [...values].sort().map((value) => ({ type: "string", value })) });
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("404 page not found");
  });

  return {
    url: server.url,
    requests: server.requests,
    inject: (fault) => faults.push(fault),
    close: () => server.stop(),
  };
}
