import type { SpanRecord } from "../interfaces.ts";
import type { OtlpAnyValue, OtlpKeyValue } from "./schema.ts";

/** How ids are written: hex is the OTLP JSON spec, base64 is what gogo-protobuf encoders (Tempo) emit. */
export interface OtlpEncodeOptions {
  idEncoding?: "hex" | "base64"; // default hex
  /** Status codes as enum names ("STATUS_CODE_ERROR") instead of numbers. */
  statusAsString?: boolean;
}

export function jsToAnyValue(value: unknown): OtlpAnyValue {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(jsToAnyValue) } };
  if (value && typeof value === "object") {
    return { kvlistValue: { values: Object.entries(value).map(([key, v]) => ({ key, value: jsToAnyValue(v) })) } };
  }
  return { stringValue: String(value) };
}

function encodeId(hex: string, encoding: "hex" | "base64"): string {
  if (hex === "" || encoding === "hex") return hex;
  return Buffer.from(hex, "hex").toString("base64");
}

function msToNanos(ms: number): string {
  // Microsecond resolution through BigInt keeps 19-digit nanosecond strings exact.
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

const STATUS_CODES = { unset: 0, ok: 1, error: 2 } as const;
const STATUS_NAMES = { unset: "STATUS_CODE_UNSET", ok: "STATUS_CODE_OK", error: "STATUS_CODE_ERROR" } as const;
const KIND_CODES: Record<string, number> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

/**
 * `SpanRecord[]` → OTLP JSON `{resourceSpans}`, one resource per service. The inverse of `otlpToSpanRecords`,
 * used by the fake backends and by tests; `span.kind` and `status.message` attributes go back to their fields.
 */
export function spanRecordsToOtlp(spans: SpanRecord[], options: OtlpEncodeOptions = {}): { resourceSpans: unknown[] } {
  const encoding = options.idEncoding ?? "hex";
  const byService = new Map<string, SpanRecord[]>();
  for (const span of spans) {
    const list = byService.get(span.service);
    if (list) list.push(span);
    else byService.set(span.service, [span]);
  }
  const resourceSpans: unknown[] = [];
  for (const [service, list] of byService) {
    resourceSpans.push({
      resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: "vigil-fake" },
          spans: list.map((s) => {
            const attributes: OtlpKeyValue[] = [];
            for (const [key, value] of Object.entries(s.attributes)) {
              if (key === "span.kind" || key === "status.message" || key.startsWith("resource.")) continue;
              attributes.push({ key, value: jsToAnyValue(value) });
            }
            const message = s.attributes["status.message"];
            const kind = KIND_CODES[String(s.attributes["span.kind"])];
            return {
              traceId: encodeId(s.traceId, encoding),
              spanId: encodeId(s.spanId, encoding),
              ...(s.parentSpanId ? { parentSpanId: encodeId(s.parentSpanId, encoding) } : {}),
              name: s.name,
              ...(kind ? { kind } : {}),
              startTimeUnixNano: msToNanos(s.startMs),
              endTimeUnixNano: msToNanos(s.startMs + s.durationMs),
              attributes,
              status: {
                code: options.statusAsString ? STATUS_NAMES[s.status] : STATUS_CODES[s.status],
                ...(typeof message === "string" ? { message } : {}),
              },
            };
          }),
        },
      ],
    });
  }
  return { resourceSpans };
}
