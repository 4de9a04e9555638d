/**
 * A fake jaeger-query on node:http for offline tests of `tools/jaeger`.
 *
 * - api_v3 (jaeger-idl `query_service.openapi.yaml`): `/api/v3/services`, `/api/v3/operations?service=`,
 *   `/api/v3/traces` accepting both the snake_case (`query.service_name`, `query.start_time_min`, …) and the camelCase
 *   (`query.serviceName`, `query.startTimeMin`, …) parameters (RFC 3339 times, Go durations), `/api/v3/traces/:id`.
 *   Answers `{result: {resourceSpans}}` with hex ids (or, with `v3Chunks`, a list of one chunk per trace).
 * - Legacy `/api/services`, `/api/traces?service&start&end&limit&minDuration&tags` (µs), `/api/traces/:id`,
 *   `/api/dependencies`, in the Jaeger UI's JSON. With `legacyOnly`, every v3 path answers 404 as a pre-1.35 server.
 * - Records every request (and reports it to the read-only audit); same fault injection as the Tempo fake.
 *
 * @example
 * const jaeger = await startFakeJaeger({ spans, legacyOnly: true });
 * const client = new JaegerClient({ baseUrl: jaeger.url });
 * await jaeger.close();
 */
import type { ServerResponse } from "node:http";
import type { SpanRecord } from "../../tools/interfaces.ts";
import { spanRecordsToOtlp } from "../../tools/otlp/encode.ts";
import { type RecordedRequest, startRecordingServer } from "../harness/recording-server.ts";
import { auditRequest } from "./audit.ts";
import { answerFault, type FakeTraceFault, groupTraces, sendJson, takeFault } from "./tempo.ts";

export interface FakeJaegerOptions {
  spans: SpanRecord[];
  /** Serve only the legacy `/api/*` endpoints; v3 paths 404 (Jaeger < 1.35). */
  legacyOnly?: boolean;
  /** Answer v3 trace searches as a list of `{result}` chunks, one per trace, instead of one object. */
  v3Chunks?: boolean;
}

export interface FakeJaeger {
  url: string;
  requests: RecordedRequest[];
  inject(fault: FakeTraceFault): void;
  close(): Promise<void>;
}

const GO_DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

function parseGoDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(text);
  return match ? Number(match[1]) * GO_DURATION_UNITS[match[2]] : undefined;
}

/** The first of several parameter spellings that is present. */
function param(query: URLSearchParams, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = query.get(name);
    if (value !== null && value !== "") return value;
  }
  return undefined;
}

function notFound(res: ServerResponse, message = "404 page not found"): void {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end(message);
}

function legacyTag(key: string, value: unknown): { key: string; type: string; value: unknown } {
  if (typeof value === "boolean") return { key, type: "bool", value };
  if (typeof value === "number") return { key, type: Number.isInteger(value) ? "int64" : "float64", value };
  return { key, type: "string", value: String(value) };
}

function legacyTrace(spans: SpanRecord[]): unknown {
  const processes: Record<string, { serviceName: string; tags: unknown[] }> = {};
  const processOf = new Map<string, string>();
  for (const s of spans) {
    if (processOf.has(s.service)) continue;
    const id = `p${processOf.size + 1}`;
    processOf.set(s.service, id);
    processes[id] = { serviceName: s.service, tags: [] };
  }
  return {
    traceID: spans[0]?.traceId ?? "",
    spans: spans.map((s) => {
      const tags = Object.entries(s.attributes)
        .filter(([key]) => key !== "status.message")
        .map(([key, value]) => legacyTag(key, value));
      // Jaeger's model keeps OTLP status as the `error` tag (and otel.status_code).
      if (s.status === "error") tags.push(legacyTag("error", true), legacyTag("otel.status_code", "ERROR"));
      if (s.status === "ok") tags.push(legacyTag("otel.status_code", "OK"));
      const message = s.attributes["status.message"];
      if (typeof message === "string") tags.push(legacyTag("otel.status_description", message));
      return {
        traceID: s.traceId,
        spanID: s.spanId,
        operationName: s.name,
        references: s.parentSpanId ? [{ refType: "CHILD_OF", traceID: s.traceId, spanID: s.parentSpanId }] : [],
        startTime: Math.round(s.startMs * 1000),
        duration: Math.round(s.durationMs * 1000),
        tags,
        logs: [],
        processID: processOf.get(s.service),
        warnings: null,
      };
    }),
    processes,
    warnings: null,
  };
}

interface SearchFilter {
  service?: string;
  operation?: string;
  fromMs: number;
  toMs: number;
  limit: number;
  minDurationMs?: number;
  tags?: Record<string, string>;
}

function spanHasTag(span: SpanRecord, key: string, value: string): boolean {
  if (key === "error") return (span.status === "error") === (value === "true");
  return String(span.attributes[key]) === value;
}

export async function startFakeJaeger(options: FakeJaegerOptions): Promise<FakeJaeger> {
  const traces = groupTraces(options.spans);
  const byId = new Map(traces.map((t) => [t.traceId, t]));
  const services = [...new Set(options.spans.map((s) => s.service))].sort();
  const faults: FakeTraceFault[] = [];

  function search(filter: SearchFilter): SpanRecord[][] {
    const found: SpanRecord[][] = [];
    // Most recent first, as jaeger-query returns them.
    for (const t of [...traces].sort((a, b) => b.startMs - a.startMs || a.traceId.localeCompare(b.traceId))) {
      if (found.length >= filter.limit) break;
      const matching = t.spans.filter(
        (s) =>
          (!filter.service || s.service === filter.service) &&
          (!filter.operation || s.name === filter.operation) &&
          s.startMs >= filter.fromMs &&
          s.startMs <= filter.toMs &&
          (filter.minDurationMs === undefined || s.durationMs >= filter.minDurationMs),
      );
      if (matching.length === 0) continue;
      const tags = Object.entries(filter.tags ?? {});
      if (tags.length > 0 && !t.spans.some((s) => tags.every(([k, v]) => spanHasTag(s, k, v)))) continue;
      found.push(t.spans);
    }
    return found;
  }

  const server = await startRecordingServer(async (req, res) => {
    auditRequest({ backend: "jaeger", method: req.method, path: req.path });
    const fault = takeFault(faults, req.path);
    if (fault && (await answerFault(fault, res))) return;
    if (req.method !== "GET") return sendJson(res, 405, { error: "method not allowed" });
    const q = req.query;

    if (req.path.startsWith("/api/v3/")) {
      if (options.legacyOnly) return notFound(res);
      if (req.path === "/api/v3/services") return sendJson(res, 200, { services });
      if (req.path === "/api/v3/operations") {
        const service = q.get("service") ?? "";
        const names = new Map<string, string>();
        for (const s of options.spans) {
          if (s.service === service) names.set(s.name, String(s.attributes["span.kind"] ?? ""));
        }
        const operations = [...names].sort().map(([name, spanKind]) => ({ name, spanKind }));
        return sendJson(res, 200, { operations });
      }
      if (req.path === "/api/v3/traces") {
        const min = param(q, "query.start_time_min", "query.startTimeMin");
        const max = param(q, "query.start_time_max", "query.startTimeMax");
        if (!min || !max) {
          return sendJson(res, 400, {
            error: { httpCode: 400, message: "query.start_time_min and query.start_time_max are required" },
          });
        }
        const fromMs = Date.parse(min);
        const toMs = Date.parse(max);
        if (Number.isNaN(fromMs) || Number.isNaN(toMs)) {
          return sendJson(res, 400, { error: { httpCode: 400, message: "malformed parameter query.start_time_min" } });
        }
        const durationText = param(q, "query.duration_min", "query.durationMin");
        const minDurationMs = durationText === undefined ? undefined : parseGoDuration(durationText);
        if (durationText !== undefined && minDurationMs === undefined) {
          return sendJson(res, 400, { error: { httpCode: 400, message: "malformed parameter query.duration_min" } });
        }
        const found = search({
          service: param(q, "query.service_name", "query.serviceName"),
          operation: param(q, "query.operation_name", "query.operationName"),
          fromMs,
          toMs,
          limit: Number(
            param(q, "query.num_traces", "query.numTraces", "query.search_depth", "query.searchDepth") ?? 20,
          ),
          minDurationMs,
        });
        if (options.v3Chunks)
          return sendJson(
            res,
            200,
            found.map((spans) => ({ result: spanRecordsToOtlp(spans) })),
          );
        return sendJson(res, 200, { result: spanRecordsToOtlp(found.flat()) });
      }
      const traceMatch = /^\/api\/v3\/traces\/([0-9a-fA-F]+)$/.exec(req.path);
      if (traceMatch) {
        const trace = byId.get(traceMatch[1].toLowerCase());
        if (!trace) return sendJson(res, 404, { error: { httpCode: 404, message: "trace not found" } });
        return sendJson(res, 200, { result: spanRecordsToOtlp(trace.spans) });
      }
      return notFound(res);
    }

    if (req.path === "/api/services")
      return sendJson(res, 200, { data: services, total: services.length, errors: null });
    if (req.path === "/api/traces") {
      const service = q.get("service");
      if (!service) {
        return sendJson(res, 400, { data: null, errors: [{ code: 400, msg: "parameter 'service' is required" }] });
      }
      const end = q.get("end") ? Number(q.get("end")) / 1000 : Date.now();
      const start = q.get("start") ? Number(q.get("start")) / 1000 : end - 3_600_000;
      const minDurationText = q.get("minDuration");
      const found = search({
        service,
        operation: q.get("operation") ?? undefined,
        fromMs: start,
        toMs: end,
        limit: Number(q.get("limit") ?? 20) || 20,
        minDurationMs: minDurationText ? parseGoDuration(minDurationText) : undefined,
        tags: q.get("tags") ? (JSON.parse(q.get("tags") ?? "{}") as Record<string, string>) : undefined,
      });
      return sendJson(res, 200, {
        data: found.map(legacyTrace),
        total: found.length,
        limit: 0,
        offset: 0,
        errors: null,
      });
    }
    const legacyMatch = /^\/api\/traces\/([0-9a-fA-F]+)$/.exec(req.path);
    if (legacyMatch) {
      const trace = byId.get(legacyMatch[1].toLowerCase());
      if (!trace) return sendJson(res, 404, { data: null, errors: [{ code: 404, msg: "trace not found" }] });
      return sendJson(res, 200, { data: [legacyTrace(trace.spans)], errors: null });
    }
    if (req.path === "/api/dependencies") {
      const counts = new Map<string, number>();
      const spanById = new Map(options.spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
      for (const s of options.spans) {
        const parent = spanById.get(`${s.traceId}/${s.parentSpanId}`);
        if (!parent || parent.service === s.service) continue;
        const key = `${parent.service}\u0000${s.service}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const data = [...counts].map(([key, callCount]) => {
        const [parent, child] = key.split("\u0000");
        return { parent, child, callCount };
      });
      return sendJson(res, 200, { data, errors: null });
    }
    return notFound(res);
  });

  return {
    url: server.url,
    requests: server.requests,
    inject: (fault) => faults.push(fault),
    close: () => server.stop(),
  };
}
