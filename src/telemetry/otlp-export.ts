import type { InvestigationTrace, TraceSpan } from "../../agents/trace/types.ts";
import { redactDeep } from "../../tools/redact/redact.ts";

/**
 * Export an investigation's trace over OTLP/HTTP (JSON encoding) so teams see Vigil in their own Tempo or Jaeger.
 * Attributes are redacted before they leave the process. Spans are built after the fact with their recorded ids
 * and times, which the OpenTelemetry SDK's span API cannot take, so the OTLP JSON is written here directly.
 */
function attributeValue(value: string | number | boolean) {
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { stringValue: value };
}

function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

const SPAN_KIND = { investigation: 1, strategy: 1, node: 1, tool: 3, llm: 3 } as const; // INTERNAL or CLIENT

export function traceToOtlp(trace: InvestigationTrace, resource: Record<string, string> = {}) {
  const spans = redactDeep(trace.spans) as TraceSpan[];
  return {
    resourceSpans: [
      {
        resource: {
          attributes: Object.entries({ "service.name": "vigil", ...resource }).map(([key, value]) => ({
            key,
            value: { stringValue: value },
          })),
        },
        scopeSpans: [
          {
            scope: { name: "vigil.investigation" },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? "",
              name: s.name,
              kind: SPAN_KIND[s.kind] ?? 1,
              startTimeUnixNano: nanos(s.startMs),
              endTimeUnixNano: nanos(Math.max(s.endMs, s.startMs)),
              attributes: Object.entries({ "vigil.span.kind": s.kind, ...s.attributes }).map(([key, value]) => ({
                key,
                value: attributeValue(value),
              })),
              status: s.status === "error" ? { code: 2, message: s.error ?? "" } : { code: 1 },
            })),
          },
        ],
      },
    ],
  };
}

export interface OtlpExporterOptions {
  endpoint: string; // OTEL_EXPORTER_OTLP_ENDPOINT; traces go to <endpoint>/v1/traces
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** POST one trace; failures are returned, never thrown: exporting must not fail an investigation. */
export async function exportTrace(
  trace: InvestigationTrace,
  options: OtlpExporterOptions,
  resource: Record<string, string> = {},
): Promise<{ ok: boolean; status?: number; error?: string }> {
  const url = `${options.endpoint.replace(/\/+$/, "")}/v1/traces`;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...options.headers },
      body: JSON.stringify(traceToOtlp(trace, resource)),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    await res.body?.cancel().catch(() => undefined);
    return { ok: res.ok, status: res.status };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
