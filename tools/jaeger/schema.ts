import { z } from "zod";
import type { SpanRecord } from "../interfaces.ts";

/**
 * zod schemas of Jaeger's query APIs: api_v3 (jaeger-idl `swagger/api_v3/query_service.openapi.yaml`, OTLP-shaped
 * traces, parsed by `tools/otlp`) and the legacy `/api/*` JSON the Jaeger UI uses (v1 deployments only).
 */

export const v3ServicesSchema = z.object({ services: z.array(z.string()).nullable().default([]) });

export const v3OperationsSchema = z.object({
  operations: z
    .array(z.object({ name: z.string(), spanKind: z.string().optional().catch(undefined) }))
    .nullable()
    .default([]),
});

/**
 * The OTLP documents of a v3 traces answer: `{result: TracesData}` (grpc-gateway's stream chunk), a list of such
 * chunks, or a bare `TracesData`.
 */
export function v3TracesDocuments(json: unknown): unknown[] {
  const chunks = Array.isArray(json) ? json : [json];
  return chunks.map((chunk) =>
    chunk && typeof chunk === "object" && "result" in chunk ? (chunk as { result: unknown }).result : chunk,
  );
}

export const legacyServicesSchema = z.object({ data: z.array(z.string()).nullable().default([]) });

const legacyTagSchema = z.object({ key: z.string(), type: z.string().optional().catch(undefined), value: z.unknown() });

const legacySpanSchema = z.object({
  traceID: z.string(),
  spanID: z.string(),
  operationName: z.string().catch(""),
  references: z
    .array(z.object({ refType: z.string().catch(""), traceID: z.string().optional(), spanID: z.string() }))
    .nullable()
    .optional()
    .catch(undefined),
  // Very old servers set the parent here instead of in `references`.
  parentSpanID: z.string().optional().catch(undefined),
  startTime: z.number(), // µs
  duration: z.number(), // µs
  tags: z.array(legacyTagSchema.nullable().catch(null)).nullable().optional().catch(undefined),
  processID: z.string().optional().catch(undefined),
});

const legacyTraceSchema = z.object({
  traceID: z.string(),
  spans: z.array(legacySpanSchema.nullable().catch(null)).nullable().default([]),
  processes: z.record(z.string(), z.object({ serviceName: z.string().catch("unknown") })).catch({}),
});

export const legacyTracesResponseSchema = z.object({
  data: z.array(legacyTraceSchema).nullable().default([]),
});
export type LegacyTrace = z.infer<typeof legacyTraceSchema>;

function legacyStatus(tags: Record<string, unknown>): SpanRecord["status"] {
  const error = tags.error;
  if (error === true || error === "true") return "error";
  const otel = typeof tags["otel.status_code"] === "string" ? tags["otel.status_code"].toUpperCase() : "";
  if (otel === "ERROR") return "error";
  if (otel === "OK") return "ok";
  return "unset";
}

/** Legacy Jaeger JSON traces → `SpanRecord[]`: µs → ms, CHILD_OF (else FOLLOWS_FROM) reference → parent. */
export function legacyToSpanRecords(traces: LegacyTrace[]): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const trace of traces) {
    for (const span of trace.spans ?? []) {
      if (!span) continue;
      const tags: Record<string, unknown> = {};
      for (const tag of span.tags ?? []) if (tag) tags[tag.key] = tag.value;
      // Jaeger's model carries OTLP status as tags; they become `status` (and `status.message`) again.
      const { error: _error, "otel.status_code": _code, "otel.status_description": message, ...attributes } = tags;
      if (typeof message === "string" && message) attributes["status.message"] = message;
      const refs = span.references ?? [];
      const parent = refs.find((r) => r.refType === "CHILD_OF") ?? refs.find((r) => r.refType === "FOLLOWS_FROM");
      const parentId = (parent?.spanID ?? span.parentSpanID ?? "").toLowerCase();
      out.push({
        traceId: span.traceID.toLowerCase(),
        spanId: span.spanID.toLowerCase(),
        parentSpanId: /^0*$/.test(parentId) ? "" : parentId,
        service: trace.processes[span.processID ?? ""]?.serviceName ?? "unknown",
        name: span.operationName,
        startMs: span.startTime / 1000,
        durationMs: span.duration / 1000,
        status: legacyStatus(tags),
        attributes,
      });
    }
  }
  return out;
}
