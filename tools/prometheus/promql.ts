import { parser } from "@prometheus-io/lezer-promql";

export type PromQLCheck = { ok: true } | { ok: false; error: string };

/**
 * Parse-check a PromQL query that Vigil did not build itself (an LLM-written one) with Prometheus's own lezer
 * grammar, the one its UI uses: a query with a syntax error is refused before it is sent.
 */
export function checkPromQL(query: string): PromQLCheck {
  if (query.trim() === "") return { ok: false, error: "parse error: empty query" };
  const tree = parser.parse(query);
  let errorAt = -1;
  tree.iterate({
    enter(node) {
      if (errorAt < 0 && node.type.isError) errorAt = node.from;
    },
  });
  if (errorAt < 0) return { ok: true };
  return {
    ok: false,
    error: `parse error at position ${errorAt}: near ${JSON.stringify(query.slice(errorAt, errorAt + 20))}`,
  };
}
