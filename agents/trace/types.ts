/** One span of an investigation's trace (W3C ids: 32-hex trace id, 16-hex span ids). */
export interface TraceSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: "investigation" | "strategy" | "node" | "tool" | "llm";
  startMs: number;
  endMs: number;
  status: "ok" | "error";
  error?: string;
  attributes: Record<string, string | number | boolean>;
}

export interface InvestigationTrace {
  traceId: string;
  spans: TraceSpan[];
}
