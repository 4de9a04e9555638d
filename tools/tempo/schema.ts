import { z } from "zod";

/**
 * zod schemas of Tempo's HTTP API (grafana/tempo `docs/sources/tempo/api_docs`). Tolerant where a field is only
 * informative (metrics, span attributes), strict on what the tools rely on (trace ids, start times).
 */

const nanosSchema = z.union([z.string().regex(/^\d+$/), z.number().nonnegative()]).transform(String);

const searchAttributeSchema = z.object({
  key: z.string(),
  value: z.record(z.string(), z.unknown()).catch({}),
});

export const searchSpanSchema = z.object({
  spanID: z.string(),
  name: z.string().optional().catch(undefined),
  startTimeUnixNano: nanosSchema.optional().catch(undefined),
  durationNanos: nanosSchema.optional().catch(undefined),
  attributes: z.array(searchAttributeSchema.nullable().catch(null)).optional().catch(undefined),
});

export const spanSetSchema = z.object({
  spans: z.array(searchSpanSchema.nullable().catch(null)).optional().catch(undefined),
  matched: z.number().optional().catch(undefined),
  attributes: z.array(searchAttributeSchema.nullable().catch(null)).optional().catch(undefined),
});
export type TempoSpanSet = z.infer<typeof spanSetSchema>;

export const searchTraceSchema = z.object({
  traceID: z.string().min(1),
  rootServiceName: z.string().catch("<root span not yet received>"),
  rootTraceName: z.string().optional().catch(undefined),
  startTimeUnixNano: nanosSchema,
  // Tempo omits durationMs for traces shorter than a millisecond.
  durationMs: z.number().optional().catch(undefined),
  spanSets: z.array(spanSetSchema).optional().catch(undefined),
  // Deprecated single spanset, still sent beside spanSets by Tempo 2.x.
  spanSet: spanSetSchema.optional().catch(undefined),
});
export type TempoSearchTrace = z.infer<typeof searchTraceSchema>;

export const searchResponseSchema = z.object({
  traces: z
    .array(searchTraceSchema)
    .nullable()
    .default([])
    .transform((t) => t ?? []),
  metrics: z.record(z.string(), z.unknown()).optional().catch(undefined),
});
export type TempoSearchResponse = z.infer<typeof searchResponseSchema>;

/** `/api/v2/search/tags`: tag names grouped by scope. */
export const tagsV2ResponseSchema = z.object({
  scopes: z
    .array(z.object({ name: z.string(), tags: z.array(z.string()).nullable().catch([]) }))
    .nullable()
    .default([]),
});

export const tagValuesV2ResponseSchema = z.object({
  tagValues: z
    .array(z.object({ type: z.string().optional().catch(undefined), value: z.unknown() }))
    .nullable()
    .default([]),
});

/** `/api/v2/traces/<id>` wraps the OTLP document in `trace`; `/api/traces/<id>` answers it bare. */
export const traceByIdV2ResponseSchema = z.object({ trace: z.unknown() });
