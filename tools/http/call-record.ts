import type { TimeRange, ToolCallRecord, ToolError, ToolResult } from "../interfaces.ts";
import type { HttpAnswer } from "./read-only-http.ts";

/** What a client parsed out of an answer: the data, how many rows it holds, and whether a cap cut it. */
export interface Parsed<T> {
  data: T;
  rows: number;
  truncated: boolean;
}

export interface CallMeta {
  operation: string;
  query: string;
  range?: TimeRange;
}

/** One call's record for the investigation trace, as every client reports it. */
export function callRecord(
  backend: string,
  meta: CallMeta,
  startedAt: number,
  outcome: { bytes: number; rows: number; truncated: boolean; error?: ToolError },
): ToolCallRecord {
  const record: ToolCallRecord = {
    backend,
    operation: meta.operation,
    query: meta.query,
    startedAt,
    durationMs: Date.now() - startedAt,
    bytes: outcome.bytes,
    rows: outcome.rows,
    cacheHit: false,
    truncated: outcome.truncated,
  };
  if (meta.range) record.range = meta.range;
  if (outcome.error) record.error = `${outcome.error.kind}: ${outcome.error.message}`;
  return record;
}

/**
 * Turn an HTTP answer into a typed result: a transport error passes through, a body that does not parse becomes a
 * `parse` error (never an exception), and every outcome is reported once to `onCall`.
 */
export function finishCall<T>(
  backend: string,
  meta: CallMeta,
  startedAt: number,
  answer: ToolResult<HttpAnswer>,
  parse: (json: unknown) => Parsed<T>,
  onCall?: (record: ToolCallRecord) => void,
): ToolResult<T> {
  if (!answer.ok) {
    onCall?.(
      callRecord(backend, meta, startedAt, {
        bytes: 0,
        rows: 0,
        truncated: answer.error.kind === "denied",
        error: answer.error,
      }),
    );
    return answer;
  }
  let parsed: Parsed<T>;
  try {
    parsed = parse(answer.data.json);
  } catch (err) {
    const error: ToolError = {
      backend,
      kind: "parse",
      message: `unexpected ${meta.operation} answer: ${(err as Error).message.slice(0, 300)}`,
    };
    onCall?.(callRecord(backend, meta, startedAt, { bytes: answer.data.bytes, rows: 0, truncated: false, error }));
    return { ok: false, error };
  }
  onCall?.(
    callRecord(backend, meta, startedAt, { bytes: answer.data.bytes, rows: parsed.rows, truncated: parsed.truncated }),
  );
  return { ok: true, data: parsed.data, truncated: parsed.truncated };
}
