import { parser } from "@grafana/lezer-traceql";

/** Longest TraceQL accepted from an LLM; longer queries are refused before parsing. */
const MAX_QUERY_CHARS = 4_000;

export type TraceQLCheck = { ok: true } | { ok: false; message: string; at: number };

/**
 * Validates TraceQL (typically written by an LLM) with Grafana's lezer grammar before it leaves the process:
 * zero error nodes means the grammar accepts it. The message names the first offending position so a repair
 * loop can fix the query.
 *
 * @example
 * checkTraceQL('{ resource.service.name = "cart" && status = error }'); // { ok: true }
 * checkTraceQL("{ status = }"); // { ok: false, message: "TraceQL parse error at 11 near \"}\"", at: 11 }
 */
export function checkTraceQL(query: string): TraceQLCheck {
  if (query.trim() === "") return { ok: false, message: "empty TraceQL query", at: 0 };
  if (query.length > MAX_QUERY_CHARS) {
    return { ok: false, message: `TraceQL query longer than ${MAX_QUERY_CHARS} characters`, at: MAX_QUERY_CHARS };
  }
  let at = -1;
  parser.parse(query).iterate({
    enter(node) {
      if (at >= 0) return false;
      if (node.type.isError) at = node.from;
      return undefined;
    },
  });
  if (at < 0) return { ok: true };
  const near = query.slice(at, at + 20) || "<end>";
  return { ok: false, message: `TraceQL parse error at ${at} near ${JSON.stringify(near)}`, at };
}

// Control characters cannot be written inside a TraceQL string the grammar accepts; no real service name has them.
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * A TraceQL double-quoted string literal for an untrusted value: backslash and quote are escaped, so the value can
 * never close the string and add conditions (`x" || true || "`). Undefined for values with control characters.
 */
export function quoteTraceQLString(value: string): string | undefined {
  if (hasControlCharacter(value)) return undefined;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** A duration literal TraceQL accepts: whole milliseconds, else whole microseconds. */
export function traceQLDuration(ms: number): string {
  if (Number.isInteger(ms)) return `${ms}ms`;
  return `${Math.round(ms * 1000)}us`;
}

export interface TraceQLFilter {
  /** `resource.service.name` of the matching span. */
  service?: string;
  /** Only error spans (`status = error`). */
  errorsOnly?: boolean;
  /** Only spans longer than this (`duration > Nms`). */
  minDurationMs?: number;
}

export type BuiltTraceQL = { ok: true; query: string } | { ok: false; message: string };

/**
 * One spanset filter whose conditions all hold on the same span, e.g.
 * `{ resource.service.name = "cart" && status = error && duration > 500ms }`; `{}` matches every trace.
 * Values are escaped, never spliced: an untrusted service name cannot inject TraceQL.
 */
export function buildTraceQL(filter: TraceQLFilter): BuiltTraceQL {
  const conditions: string[] = [];
  if (filter.service !== undefined) {
    const quoted = quoteTraceQLString(filter.service);
    if (quoted === undefined) return { ok: false, message: "service name contains control characters" };
    conditions.push(`resource.service.name = ${quoted}`);
  }
  if (filter.errorsOnly) conditions.push("status = error");
  if (filter.minDurationMs !== undefined) {
    if (!Number.isFinite(filter.minDurationMs) || filter.minDurationMs < 0) {
      return { ok: false, message: `invalid minDurationMs: ${filter.minDurationMs}` };
    }
    if (filter.minDurationMs > 0) conditions.push(`duration > ${traceQLDuration(filter.minDurationMs)}`);
  }
  return { ok: true, query: conditions.length === 0 ? "{}" : `{ ${conditions.join(" && ")} }` };
}
