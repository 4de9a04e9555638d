import { z } from "zod";

/**
 * zod schemas of the Loki HTTP API (`/loki/api/v1/*`, docs/sources/reference/loki-http-api.md). Tolerant where a
 * field is only informative (stats, warnings, a malformed entry among many), strict where the shape itself is
 * wrong: a `streams` answer without `result` is an error, one entry that is not `[ns, line]` is dropped.
 */

const labelsSchema = z.record(z.string(), z.string()).catch({});

/** Loki encodes sample values as strings so that `NaN` and `±Inf` survive JSON. */
export function parseSampleValue(raw: string): number {
  if (raw === "+Inf" || raw === "Inf") return Number.POSITIVE_INFINITY;
  if (raw === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

/** `[unixSeconds, "value"]` → `[unixMs, value]`. */
const sampleSchema = z
  .tuple([z.number(), z.string()])
  .transform(([t, v]): [number, number] => [Math.round(t * 1000), parseSampleValue(v)]);

/**
 * One log entry: `["<ns epoch>", "<line>"]`, optionally followed by a structured-metadata object (Loki 3 with
 * categorized labels). Anything else becomes `null` and is dropped, so one odd entry does not lose the stream.
 */
const entrySchema = z
  .tuple([z.string().regex(/^\d+$/), z.string()])
  .rest(z.unknown())
  .transform(([ns, line]) => ({ ns, line }))
  .nullable()
  .catch(null);

export const streamSchema = z.object({
  stream: labelsSchema,
  values: z
    .array(entrySchema)
    .transform((entries) => entries.filter((e): e is { ns: string; line: string } => e !== null)),
});
export type StreamValue = z.infer<typeof streamSchema>;

export const matrixSeriesSchema = z.object({
  metric: labelsSchema,
  values: z.array(sampleSchema).default([]),
});

export const vectorSampleSchema = z.object({
  metric: labelsSchema,
  value: sampleSchema.optional().catch(undefined),
});

/** The `stats` block is diagnostics only; it never fails a parse. */
const statsSchema = z.record(z.string(), z.unknown()).optional().catch(undefined);

export const queryDataSchema = z.discriminatedUnion("resultType", [
  z.object({ resultType: z.literal("streams"), result: z.array(streamSchema), stats: statsSchema }),
  z.object({ resultType: z.literal("matrix"), result: z.array(matrixSeriesSchema), stats: statsSchema }),
  z.object({ resultType: z.literal("vector"), result: z.array(vectorSampleSchema), stats: statsSchema }),
]);
export type QueryData = z.infer<typeof queryDataSchema>;

/** `/labels` and `/label/<name>/values` answer `{status, data: string[]}`; Loki omits `data` when there are none. */
export const stringListSchema = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? []);

/** `/series` answers `{status, data: [{label: value}]}`. */
export const seriesDataSchema = z
  .array(labelsSchema)
  .nullish()
  .transform((v) => v ?? []);

/** `/index/volume` answers a Prometheus-style vector whose value is the byte volume of each label set. */
export const volumeDataSchema = z.object({
  resultType: z.literal("vector").catch("vector"),
  result: z.array(vectorSampleSchema).default([]),
});

/** `/index/stats` answers a bare object, no envelope. */
export const indexStatsSchema = z.object({
  streams: z.number().catch(0).default(0),
  chunks: z.number().catch(0).default(0),
  entries: z.number().catch(0).default(0),
  bytes: z.number().catch(0).default(0),
});
export type IndexStats = z.infer<typeof indexStatsSchema>;

/** The envelope of every query endpoint. `data` is parsed per endpoint. */
export const envelopeSchema = z.object({
  status: z.enum(["success", "error"]),
  data: z.unknown().optional(),
  errorType: z.string().optional().catch(undefined),
  error: z.string().optional().catch(undefined),
  warnings: z.array(z.string()).optional().catch(undefined),
});
export type Envelope = z.infer<typeof envelopeSchema>;
