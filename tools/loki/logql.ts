import { parser } from "@grafana/lezer-logql";

/**
 * LogQL helpers: a parse check for queries we did not build (LLM-written), and builders that escape untrusted
 * values (service names, search terms) so that they can never change the shape of a query.
 */

export type LogQLCheck = { ok: true } | { ok: false; error: string };

export type MatchOp = "=" | "!=" | "=~" | "!~";
export type LineFilterOp = "|=" | "!=" | "|~" | "!~";

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

export interface LineFilter {
  op: LineFilterOp;
  value: string;
}

/** Loki label names follow Prometheus's; anything else cannot be a label and must not reach a query or a URL. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Parse-checks a LogQL query with Grafana's lezer grammar (the one Grafana's query editor uses), plus the one
 * semantic rule Loki enforces on every selector: at least one matcher must not match the empty string
 * (`{app=~".*"}` is rejected by Loki). A query that fails here would fail in Loki too, so it is not sent.
 *
 * @example
 * checkLogQL('{app="api"} |= "error"'); // { ok: true }
 * checkLogQL('{app="api"'); // { ok: false, error: "parse error at line 1, col 11: unexpected end of query" }
 */
export function checkLogQL(query: string): LogQLCheck {
  if (query.trim() === "") return { ok: false, error: "parse error: empty query" };
  const tree = parser.parse(query);
  let errorAt = -1;
  const selectors: Array<{ from: number; to: number }> = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError && errorAt < 0) errorAt = node.from;
      if (node.type.name === "Selector") selectors.push({ from: node.from, to: node.to });
    },
  });
  if (errorAt >= 0) {
    const { line, col } = position(query, errorAt);
    const rest = query.slice(errorAt).trim();
    const what = rest === "" ? "unexpected end of query" : `unexpected ${JSON.stringify(rest.slice(0, 20))}`;
    return { ok: false, error: `parse error at line ${line}, col ${col}: ${what}` };
  }
  for (const { from, to } of selectors) {
    const matchers = parseSelector(query.slice(from, to));
    if (!matchers) continue; // the grammar accepted it; only the empty-compatible rule is checked here
    if (!matchers.some((m) => !matchesEmpty(m))) {
      const { line, col } = position(query, from);
      return {
        ok: false,
        error: `parse error at line ${line}, col ${col}: queries require at least one regexp or equality matcher that does not have an empty-compatible value`,
      };
    }
  }
  return { ok: true };
}

/**
 * Builds `{name="value", …} |= "term" …` with every value escaped. A `Record` value that is an array becomes a
 * regex alternation of the regex-escaped values (one value stays an equality), so `{service=~"a|b"}` matches
 * exactly those services and nothing a hostile name could smuggle in.
 *
 * Throws on an invalid label name: label names come from configuration or from Loki, never from log data, so an
 * invalid one is a programming error.
 *
 * @example
 * buildSelector({ service_name: ["checkout", "cart"] }, [{ op: "|~", value: "(?i)error" }]);
 * // {service_name=~"checkout|cart"} |~ "(?i)error"
 */
export function buildSelector(
  labels: Record<string, string | string[]> | LabelMatcher[],
  lineFilters: LineFilter[] = [],
): string {
  const matchers = Array.isArray(labels) ? labels : recordToMatchers(labels);
  const parts = matchers.map((m) => {
    if (!LABEL_NAME.test(m.name)) throw new TypeError(`invalid Loki label name: ${JSON.stringify(m.name)}`);
    return `${m.name}${m.op}${quoteLogQLString(m.value)}`;
  });
  const filters = lineFilters.map((f) => ` ${f.op} ${quoteLogQLString(f.value)}`).join("");
  return `{${parts.join(", ")}}${filters}`;
}

/** A case-insensitive "contains any of" regex for `|~`, each term taken literally. */
export function containsAnyRegex(terms: string[]): string {
  return `(?i)${terms.map(escapeRegex).join("|")}`;
}

/** Anchored by Loki (label matchers match the whole value), so `a|b` matches exactly `a` or `b`. */
export function exactAlternation(values: string[]): string {
  return values.map(escapeRegex).join("|");
}

/** Escapes RE2 metacharacters so a value is matched literally. */
export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A double-quoted LogQL string. Loki unquotes with Go's `strconv.Unquote`, which rejects raw control characters
 * and lone surrogates; JSON's escapes (`\"`, `\\`, `\n`, `\uXXXX`) are all valid Go escapes.
 */
export function quoteLogQLString(value: string): string {
  const wellFormed = value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  return JSON.stringify(wellFormed);
}

/**
 * The value of a LogQL string token: `"…"` with Go escapes, or a raw `` `…` `` string. Returns undefined for an
 * invalid escape, as Loki would refuse it.
 */
export function unquoteLogQLString(token: string): string | undefined {
  if (token.length >= 2 && token.startsWith("`") && token.endsWith("`")) return token.slice(1, -1);
  if (token.length < 2 || !token.startsWith('"') || !token.endsWith('"')) return undefined;
  const body = token.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = {
      a: "\x07",
      b: "\b",
      f: "\f",
      n: "\n",
      r: "\r",
      t: "\t",
      v: "\v",
      "\\": "\\",
      '"': '"',
      "'": "'",
    };
    if (e !== undefined && simple[e] !== undefined) {
      out += simple[e];
      continue;
    }
    const hexLen = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    if (hexLen > 0) {
      const hex = body.slice(i + 1, i + 1 + hexLen);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) return undefined;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) return undefined;
      out += String.fromCodePoint(code);
      i += hexLen;
      continue;
    }
    if (e !== undefined && /[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) return undefined;
      out += String.fromCharCode(Number.parseInt(oct, 8));
      i += 2;
      continue;
    }
    return undefined;
  }
  return out;
}

/**
 * Compiles an RE2 pattern as Loki would use it. Label matchers are anchored (`anchored: true`), line filters are
 * not. RE2's leading flag groups (`(?i)`, `(?s)`, `(?is)`) become JS flags, since Node 20 lacks inline modifiers.
 * Returns undefined for a pattern JS cannot compile.
 */
export function compileLokiRegex(pattern: string, anchored: boolean): RegExp | undefined {
  let source = pattern;
  let flags = "u";
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading?.[1]) {
    if (leading[1].includes("i")) flags += "i";
    if (leading[1].includes("s")) flags += "s";
    if (leading[1].includes("m")) flags += "m";
    source = source.slice(leading[0].length);
  }
  try {
    return new RegExp(anchored ? `^(?:${source})$` : source, flags);
  } catch {
    try {
      // RE2 allows escapes (e.g. `\-` outside a class) that the unicode flag refuses.
      return new RegExp(anchored ? `^(?:${source})$` : source, flags.replace("u", ""));
    } catch {
      return undefined;
    }
  }
}

/** The matchers of a `{…}` selector as written, or undefined when it cannot be read back. */
export function parseSelector(selector: string): LabelMatcher[] | undefined {
  const tree = parser.parse(selector);
  const matchers: LabelMatcher[] = [];
  let failed = false;
  tree.iterate({
    enter(node) {
      if (node.type.isError) failed = true;
      if (node.type.name !== "Matcher") return;
      const name = node.node.getChild("Identifier");
      const str = node.node.getChild("String");
      const op =
        node.node.getChild("Eq") ?? node.node.getChild("Neq") ?? node.node.getChild("Re") ?? node.node.getChild("Nre");
      const value = str ? unquoteLogQLString(selector.slice(str.from, str.to)) : undefined;
      if (!name || !op || value === undefined) {
        failed = true;
        return false;
      }
      matchers.push({ name: selector.slice(name.from, name.to), op: selector.slice(op.from, op.to) as MatchOp, value });
      return false;
    },
  });
  return failed ? undefined : matchers;
}

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case "=":
      return m.value === "";
    case "!=":
      return m.value !== "";
    case "=~":
      return compileLokiRegex(m.value, true)?.test("") ?? false;
    case "!~":
      return !(compileLokiRegex(m.value, true)?.test("") ?? true);
  }
}

function recordToMatchers(labels: Record<string, string | string[]>): LabelMatcher[] {
  const matchers: LabelMatcher[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (typeof value === "string") matchers.push({ name, op: "=", value });
    else if (value.length === 1 && value[0] !== undefined) matchers.push({ name, op: "=", value: value[0] });
    else if (value.length > 1) matchers.push({ name, op: "=~", value: exactAlternation(value) });
  }
  return matchers;
}

function position(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const col = offset - before.lastIndexOf("\n");
  return { line, col };
}
