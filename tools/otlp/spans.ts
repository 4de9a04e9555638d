import type { SpanRecord } from "../interfaces.ts";
import { type OtlpAnyValue, type OtlpKeyValue, type OtlpResourceSpans, tracesDataSchema } from "./schema.ts";

const HEX_ID = /^[0-9a-fA-F]+$/;
const BASE64_ID = /^[A-Za-z0-9+/_-]+={0,2}$/;
const ALL_ZEROS = /^0+$/;

/**
 * Trace and span ids as lowercase hex. OTLP JSON says hex, but gogo-protobuf encoders (Tempo's API, old Jaeger)
 * emit the raw bytes as base64. A 16- or 32-character hex string is taken as hex (a base64 id of 8 or 16 bytes is
 * 12 or 24 characters, so the two cannot be confused); anything else that decodes to 8 or 16 bytes is base64.
 * An all-zero id means "none" (some SDKs send it for a root's parent).
 */
export function normalizeId(raw: string | undefined): string {
  if (!raw) return "";
  let hex = raw.toLowerCase();
  if (!(HEX_ID.test(raw) && (raw.length === 16 || raw.length === 32))) {
    if (BASE64_ID.test(raw)) {
      const bytes = Buffer.from(raw.replace(/-/g, "+").replace(/_/g, "/"), "base64");
      if (bytes.length === 8 || bytes.length === 16) hex = bytes.toString("hex");
    }
  }
  return ALL_ZEROS.test(hex) ? "" : hex;
}

/** OTLP AnyValue → a plain JS value: int64 as a number when it is safe, else as its decimal string. */
export function anyValueToJs(value: OtlpAnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) {
    const n = Number(value.intValue);
    return Number.isSafeInteger(n) ? n : String(value.intValue);
  }
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(anyValueToJs);
  if (value.kvlistValue) return attributesToRecord(value.kvlistValue.values ?? []);
  if (value.bytesValue !== undefined) return value.bytesValue;
  return undefined;
}

export function attributesToRecord(attributes: OtlpKeyValue[], prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of attributes) out[`${prefix}${kv.key}`] = anyValueToJs(kv.value);
  return out;
}

/** Status code as a number (0 unset, 1 ok, 2 error) or its enum name ("STATUS_CODE_ERROR"). */
export function statusOf(code: number | string | undefined): SpanRecord["status"] {
  if (code === undefined) return "unset";
  if (typeof code === "number") return code === 2 ? "error" : code === 1 ? "ok" : "unset";
  const name = code.toUpperCase().replace(/^STATUS_CODE_/, "");
  if (name === "ERROR" || name === "2") return "error";
  if (name === "OK" || name === "1") return "ok";
  return "unset";
}

const KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"];

/** Span kind as the lowercase word TraceQL uses (`kind = server`). */
export function kindOf(kind: number | string | undefined): string | undefined {
  if (kind === undefined) return undefined;
  if (typeof kind === "number") return KINDS[kind];
  const name = kind.toLowerCase().replace(/^span_kind_/, "");
  return /^\d+$/.test(name) ? KINDS[Number(name)] : name;
}

/** Unix nanoseconds (string or number) → fractional milliseconds, exact to the microsecond. */
export function nanosToMs(nanos: string | number): number {
  if (typeof nanos === "number") return nanos / 1e6;
  return Number(BigInt(nanos) / 1000n) / 1000;
}

function durationMsOf(start: string | number, end: string | number): number {
  if (typeof start === "string" && typeof end === "string") {
    const d = BigInt(end) - BigInt(start);
    return d > 0n ? Number(d / 1000n) / 1000 : 0;
  }
  return Math.max(0, (Number(end) - Number(start)) / 1e6);
}

function resourceToSpanRecords(rs: OtlpResourceSpans, out: SpanRecord[]): void {
  const resource = attributesToRecord(rs.resourceAttributes);
  const service = typeof resource["service.name"] === "string" ? resource["service.name"] : "unknown";
  // Resource attributes ride along prefixed, so `k8s.pod.name` can be cited without a second lookup.
  const resourceAttributes = attributesToRecord(
    rs.resourceAttributes.filter((kv) => kv.key !== "service.name"),
    "resource.",
  );
  for (const scope of rs.scopeSpans) {
    for (const span of scope.spans) {
      const attributes: Record<string, unknown> = { ...resourceAttributes, ...attributesToRecord(span.attributes) };
      const kind = kindOf(span.kind);
      if (kind && kind !== "unspecified") attributes["span.kind"] = kind;
      if (span.status?.message) attributes["status.message"] = span.status.message;
      out.push({
        traceId: normalizeId(span.traceId),
        spanId: normalizeId(span.spanId),
        parentSpanId: normalizeId(span.parentSpanId),
        service,
        name: span.name,
        startMs: nanosToMs(span.startTimeUnixNano),
        durationMs: durationMsOf(span.startTimeUnixNano, span.endTimeUnixNano),
        status: statusOf(span.status?.code),
        attributes,
      });
    }
  }
}

/**
 * OTLP JSON `TracesData` (`{resourceSpans}` or Tempo v1's `{batches}`) → `SpanRecord[]` in document order.
 * Throws a ZodError when the document is not OTLP traces at all; malformed single spans are skipped.
 *
 * @example
 * const spans = otlpToSpanRecords(await res.json()); // [{ traceId, spanId, parentSpanId, service, name, … }]
 */
export function otlpToSpanRecords(json: unknown): SpanRecord[] {
  const resourceSpans = tracesDataSchema.parse(json);
  const out: SpanRecord[] = [];
  for (const rs of resourceSpans) resourceToSpanRecords(rs, out);
  return out;
}
