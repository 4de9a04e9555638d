import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildTraceQL, checkTraceQL, quoteTraceQLString } from "./traceql.ts";

describe("tools/tempo/traceql", () => {
  it("accepts the queries Vigil builds and common LLM-written ones", () => {
    for (const q of [
      "{}",
      '{ resource.service.name = "cart" && status = error }',
      "{ duration > 500ms }",
      "{ span.http.status_code = 500 }",
      '{ resource.service.name = "a" } && { status = error }',
    ]) {
      assert.deepEqual(checkTraceQL(q), { ok: true }, q);
    }
  });

  it("rejects invalid TraceQL with the position of the first error", () => {
    const res = checkTraceQL('{ resource.service.name = "cart" && }');

    assert.equal(res.ok, false);
    assert.ok(!res.ok && res.at > 0 && /parse error at \d+/.test(res.message));
    assert.equal(checkTraceQL("").ok, false);
    assert.equal(checkTraceQL("select * from traces").ok, false);
  });

  it("builds one spanset filter from the query fields", () => {
    assert.deepEqual(buildTraceQL({}), { ok: true, query: "{}" });
    assert.deepEqual(buildTraceQL({ service: "cart", errorsOnly: true, minDurationMs: 500 }), {
      ok: true,
      query: '{ resource.service.name = "cart" && status = error && duration > 500ms }',
    });
    assert.deepEqual(buildTraceQL({ minDurationMs: 1.5 }), { ok: true, query: "{ duration > 1500us }" });
    assert.equal(buildTraceQL({ minDurationMs: Number.NaN }).ok, false);
  });

  it("escapes hostile service names so they stay one string literal", () => {
    for (const hostile of ['x" || true || "', 'x" } || { true', "x\\", 'x\\" } | count() > 0 | { "', "`raw` name"]) {
      const built = buildTraceQL({ service: hostile, errorsOnly: true });

      assert.ok(built.ok, hostile);
      assert.deepEqual(checkTraceQL(built.query), { ok: true }, built.query);
      // Exactly one condition on the service and one on status: nothing was injected.
      assert.equal(built.query.split("&&").length, 2 + (hostile.split("&&").length - 1), built.query);
      assert.ok(built.query.endsWith(" && status = error }"), built.query);
      assert.equal(
        JSON.parse(built.query.slice("{ resource.service.name = ".length, -" && status = error }".length)),
        hostile,
      );
    }
  });

  it("refuses values with control characters instead of emitting an unparseable query", () => {
    assert.equal(quoteTraceQLString("a\nb"), undefined);
    assert.equal(buildTraceQL({ service: "cart\u0000" }).ok, false);
  });
});
