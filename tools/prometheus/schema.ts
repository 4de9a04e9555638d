import { z } from "zod";

/**
 * zod schemas of the Prometheus HTTP API (`/api/v1/*`), shared by Thanos, Mimir and VictoriaMetrics. Tolerant
 * where a field is only informative (warnings, errorType, labels), strict where the data itself is wrong.
 */

/**
 * Prometheus encodes sample values as strings so that `NaN`, `+Inf` and `-Inf` survive JSON. `Number("-Inf")`
 * is NaN, so the infinities are mapped by hand.
 */
export function parseSampleValue(raw: string): number {
  if (raw === "+Inf" || raw === "Inf") return Number.POSITIVE_INFINITY;
  if (raw === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

/** `[unixSeconds, "value"]` → `[unixMs, value]`. */
export const sampleSchema = z
  .tuple([z.number(), z.string()])
  .transform(([t, v]): [number, number] => [Math.round(t * 1000), parseSampleValue(v)]);

const labelsSchema = z.record(z.string(), z.string()).catch({});

export const matrixSeriesSchema = z.object({
  metric: labelsSchema,
  // Native-histogram series carry `histograms` instead of `values`; they read as series without float samples.
  values: z.array(sampleSchema).default([]),
});

export const vectorSampleSchema = z.object({
  metric: labelsSchema,
  value: sampleSchema.optional().catch(undefined),
});

export const queryDataSchema = z.discriminatedUnion("resultType", [
  z.object({ resultType: z.literal("matrix"), result: z.array(matrixSeriesSchema) }),
  z.object({ resultType: z.literal("vector"), result: z.array(vectorSampleSchema) }),
  z.object({ resultType: z.literal("scalar"), result: sampleSchema }),
  z.object({ resultType: z.literal("string"), result: z.tuple([z.number(), z.string()]) }),
]);
export type QueryData = z.infer<typeof queryDataSchema>;

export const seriesDataSchema = z.array(labelsSchema);
export const labelValuesDataSchema = z.array(z.string());

/** The envelope every `/api/v1` endpoint answers with, success or error. `data` is parsed per endpoint. */
export const envelopeSchema = z.object({
  status: z.enum(["success", "error"]),
  data: z.unknown().optional(),
  errorType: z.string().optional().catch(undefined),
  error: z.string().optional().catch(undefined),
  warnings: z.array(z.string()).optional().catch(undefined),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** `/api/v1/metadata`: metric name → its metadata entries (one per target type). */
export const metadataSchema = z.record(
  z.string(),
  z.array(z.object({ type: z.string().optional(), help: z.string().optional(), unit: z.string().optional() })),
);

export const promAlertSchema = z.object({
  labels: z.record(z.string(), z.string()).default({}),
  annotations: z.record(z.string(), z.string()).default({}),
  state: z.string().catch("unknown"),
  activeAt: z.string().optional(),
  value: z.string().optional(),
});
export type PromAlert = z.infer<typeof promAlertSchema>;
export const alertsSchema = z.object({ alerts: z.array(promAlertSchema).default([]) });

export const rulesSchema = z.object({ groups: z.array(z.unknown()).default([]) });

export const promTargetSchema = z.object({
  labels: z.record(z.string(), z.string()).default({}),
  scrapeUrl: z.string().optional(),
  health: z.string().catch("unknown"),
  lastError: z.string().optional(),
  lastScrape: z.string().optional(),
});
export type PromTarget = z.infer<typeof promTargetSchema>;
export const targetsSchema = z.object({ activeTargets: z.array(promTargetSchema).default([]) });
