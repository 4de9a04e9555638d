import { z } from "zod";

/**
 * zod schemas of OTLP JSON traces (`opentelemetry/proto/trace/v1`, protobuf JSON mapping) as Tempo
 * (`/api/v2/traces/<id>`) and Jaeger (`/api/v3/*`) answer them. Tolerant per item: one malformed attribute or
 * span is dropped (`.catch`) rather than failing the whole trace, because a partial trace is still evidence.
 */

export interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number | string;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}

export const anyValueSchema: z.ZodType<OtlpAnyValue> = z.lazy(() =>
  z.object({
    stringValue: z.string().optional(),
    // int64 is a string in protobuf JSON; some encoders send a number.
    intValue: z.union([z.string(), z.number()]).optional(),
    boolValue: z.boolean().optional(),
    // "NaN" / "Infinity" arrive as strings.
    doubleValue: z.union([z.number(), z.string()]).optional(),
    bytesValue: z.string().optional(),
    arrayValue: z.object({ values: z.array(anyValueSchema).optional() }).optional(),
    kvlistValue: z.object({ values: z.array(keyValueSchema).optional() }).optional(),
  }),
);

export const keyValueSchema: z.ZodType<OtlpKeyValue> = z.lazy(() =>
  z.object({ key: z.string(), value: anyValueSchema.optional() }),
);

const attributesSchema = z
  .array(keyValueSchema.nullable().catch(null))
  .optional()
  .catch(undefined)
  .transform((items) => (items ?? []).filter((kv): kv is OtlpKeyValue => kv !== null));

const nanosSchema = z.union([z.string().regex(/^\d+$/), z.number().nonnegative()]);

export const otlpSpanSchema = z.object({
  traceId: z.string().min(1),
  spanId: z.string().min(1),
  parentSpanId: z.string().optional().catch(undefined),
  name: z.string().catch(""),
  kind: z.union([z.number(), z.string()]).optional().catch(undefined),
  startTimeUnixNano: nanosSchema,
  endTimeUnixNano: nanosSchema,
  attributes: attributesSchema,
  status: z
    .object({
      code: z.union([z.number(), z.string()]).optional(),
      message: z.string().optional(),
    })
    .optional()
    .catch(undefined),
});
export type OtlpSpan = z.infer<typeof otlpSpanSchema>;

const scopeSpansSchema = z.object({
  spans: z
    .array(otlpSpanSchema.nullable().catch(null))
    .optional()
    .catch(undefined)
    .transform((spans) => (spans ?? []).filter((s): s is OtlpSpan => s !== null)),
});

export const resourceSpansSchema = z
  .object({
    resource: z.object({ attributes: attributesSchema }).optional().catch(undefined),
    scopeSpans: z.array(scopeSpansSchema).optional(),
    // OTLP before 0.15 (and old Tempo/Jaeger builds) named scopes "instrumentation library".
    instrumentationLibrarySpans: z.array(scopeSpansSchema).optional(),
  })
  .transform((rs) => ({
    resourceAttributes: rs.resource?.attributes ?? [],
    scopeSpans: [...(rs.scopeSpans ?? []), ...(rs.instrumentationLibrarySpans ?? [])],
  }));
export type OtlpResourceSpans = z.infer<typeof resourceSpansSchema>;

/** `TracesData`; Tempo's v1 trace endpoint calls the list `batches`. */
export const tracesDataSchema = z
  .object({
    resourceSpans: z.array(resourceSpansSchema).optional(),
    batches: z.array(resourceSpansSchema).optional(),
  })
  .transform((t) => [...(t.resourceSpans ?? []), ...(t.batches ?? [])]);
