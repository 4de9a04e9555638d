import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildSelector,
  checkLogQL,
  compileLokiRegex,
  containsAnyRegex,
  parseSelector,
  quoteLogQLString,
  unquoteLogQLString,
} from "./logql.ts";

describe("tools/loki/logql", () => {
  it("accepts valid log and metric queries", () => {
    for (const q of [
      '{app="api"} |= "error" != "health" |~ "(?i)timeout" !~ "debug"',
      'sum by (service_name) (count_over_time({service_name=~"a|b"} |= "x" [5m]))',
      '{app="api"} | json | level="error"',
      'rate({job="varlogs"}[1m])',
    ]) {
      assert.deepEqual(checkLogQL(q), { ok: true }, q);
    }
  });

  it("rejects invalid LogQL with a position, and selectors that match everything", () => {
    const unclosed = checkLogQL('{app="api"');
    const garbage = checkLogQL('{app="api"} |= error');
    const emptyCompatible = checkLogQL('{app=~".*"} |= "x"');

    assert.deepEqual(unclosed, { ok: false, error: "parse error at line 1, col 11: unexpected end of query" });
    assert.ok(!garbage.ok);
    assert.match(garbage.error, /^parse error at line 1, col \d+/);
    assert.ok(!emptyCompatible.ok);
    assert.match(emptyCompatible.error, /at least one regexp or equality matcher/);
    assert.deepEqual(checkLogQL("   "), { ok: false, error: "parse error: empty query" });
  });

  it("builds selectors whose values survive quotes, backslashes, newlines and lone surrogates", () => {
    const nasty = ['a"} |= "x', "back\\slash", "new\nline", "tab\there", "lone\uD800surrogate", "`raw`"];
    for (const value of nasty) {
      const query = buildSelector({ service: value }, [{ op: "|=", value }]);

      assert.deepEqual(checkLogQL(query), { ok: true }, query);
      const [matcher] = parseSelector(query) ?? [];
      assert.equal(matcher?.value, value.replace("\uD800", "\uFFFD"));
    }
  });

  it("turns several values into an exact, regex-escaped alternation", () => {
    const query = buildSelector({ service_name: ["a.b", "c|d"], env: "prod" });
    const re = compileLokiRegex(parseSelector(query)?.[0]?.value ?? "", true);

    assert.equal(query, '{service_name=~"a\\\\.b|c\\\\|d", env="prod"}');
    assert.equal(re?.test("a.b"), true);
    assert.equal(re?.test("c|d"), true);
    assert.equal(re?.test("axb"), false);
    assert.equal(re?.test("c"), false);
  });

  it("refuses label names that are not label names", () => {
    assert.throws(() => buildSelector({ 'a="x"} or {b': "x" }), /invalid Loki label name/);
  });

  it("containsAnyRegex matches terms literally and case-insensitively", () => {
    const re = compileLokiRegex(containsAnyRegex(["error", "a+b"]), false);

    assert.equal(re?.test("An ERROR happened"), true);
    assert.equal(re?.test("a+b"), true);
    assert.equal(re?.test("aab"), false);
  });

  it("unquotes Go string escapes and raw strings, and refuses invalid escapes", () => {
    assert.equal(unquoteLogQLString('"a\\"b\\\\c\\n\\x41\\u00e9\\101"'), 'a"b\\c\nAéA');
    assert.equal(unquoteLogQLString("`a\\nb`"), "a\\nb");
    assert.equal(unquoteLogQLString('"bad \\q"'), undefined);
    assert.equal(quoteLogQLString('say "hi"'), '"say \\"hi\\""');
  });
});
