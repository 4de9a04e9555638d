import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type FakeJaeger, startFakeJaeger } from "../../test/fakes/jaeger.ts";
import { buildShopTraces } from "../otlp/__fixtures__/shop-traces.ts";
import { JaegerClient } from "./client.ts";
import { JaegerTracesSource, summarizeTraces } from "./traces-source.ts";

const shop = buildShopTraces();
// Asked past the clock on purpose: the source must clamp.
const range = { from: shop.start, to: shop.now + 60_000 };

describe("tools/jaeger/traces-source", () => {
  let fake: FakeJaeger;
  let source: JaegerTracesSource;

  before(async () => {
    fake = await startFakeJaeger({ spans: shop.spans });
    source = new JaegerTracesSource({ client: new JaegerClient({ baseUrl: fake.url }), now: shop.now });
  });
  after(async () => {
    await fake?.close();
  });

  it("summarizes traces with their root, span and error", async () => {
    const res = await source.searchTraces({ range, service: "checkout" });

    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(res.data, [
      {
        traceId: shop.ids.error,
        rootService: "frontend",
        rootName: "POST /checkout",
        startMs: shop.start + 2_000,
        durationMs: 800,
        hasError: true,
      },
    ]);
    assert.equal(res.truncated, false);
  });

  it("returns nothing after the investigation clock", async () => {
    const res = await source.searchTraces({ range, service: "frontend" });

    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(res.data.map((t) => t.traceId).sort(), [shop.ids.ok, shop.ids.error, shop.ids.slow].sort());
    assert.equal(fake.requests.at(-1)?.query.get("query.start_time_max"), new Date(shop.now).toISOString());
    const straddling = await source.getTrace(shop.ids.straddling);
    assert.ok(straddling.ok);
    assert.deepEqual(
      straddling.data.map((s) => s.spanId),
      ["e000000000000002"],
    );
  });

  it("filters error traces after the fetch on api_v3, fetching more than the limit", async () => {
    const res = await source.searchTraces({ range, service: "frontend", errorsOnly: true, limit: 2 });

    assert.ok(res.ok, JSON.stringify(res));
    // The future error trace and the straddling one (its error span is in cart) are not frontend errors by now.
    assert.deepEqual(
      res.data.map((t) => t.traceId),
      [shop.ids.error],
    );
    assert.equal(fake.requests.at(-1)?.query.get("query.num_traces"), "6");
  });

  it("needs a service to search", async () => {
    const res = await source.searchTraces({ range });

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "unavailable");
  });

  it("marks a search truncated when more traces than the limit matched", async () => {
    const res = await source.searchTraces({ range, service: "frontend", limit: 1 });

    assert.ok(res.ok);
    assert.equal(res.data.length, 1);
    assert.equal(res.truncated, true);
  });

  it("takes an orphan as root when the real root was not received", () => {
    const spans = shop.spans.filter((s) => s.traceId === shop.ids.error && s.service !== "frontend");

    const [summary] = summarizeTraces(spans);

    assert.equal(summary.rootService, "checkout");
    assert.equal(summary.durationMs, 780);
  });
});
