import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type FakeTempo, startFakeTempo } from "../../test/fakes/tempo.ts";
import { buildShopTraces } from "../otlp/__fixtures__/shop-traces.ts";
import { TempoClient } from "./client.ts";
import { TempoTracesSource } from "./traces-source.ts";

const shop = buildShopTraces();

describe("tools/tempo/traces-source", () => {
  let fake: FakeTempo;
  let source: TempoTracesSource;
  // Asked past the clock on purpose: the source must clamp.
  const range = { from: shop.start, to: shop.now + 60_000 };

  before(async () => {
    fake = await startFakeTempo({ spans: shop.spans });
    source = new TempoTracesSource({ client: new TempoClient({ baseUrl: fake.url }), now: shop.now });
  });
  after(async () => {
    await fake?.close();
  });

  it("builds the documented TraceQL for a service, errors and duration", async () => {
    const res = await source.searchTraces({ range, service: "payments", errorsOnly: true, minDurationMs: 500 });

    assert.ok(res.ok, JSON.stringify(res));
    assert.equal(
      fake.requests.at(-1)?.query.get("q"),
      '{ resource.service.name = "payments" && status = error && duration > 500ms }',
    );
    assert.deepEqual(
      res.data.map((t) => [t.traceId, t.rootService, t.rootName, t.hasError]),
      [[shop.ids.error, "frontend", "POST /checkout", true]],
    );
    assert.equal(res.data[0].startMs, shop.start + 2_000);
    assert.equal(res.data[0].durationMs, 800);
  });

  it("returns nothing after the investigation clock", async () => {
    const res = await source.searchTraces({ range, service: "frontend" });

    assert.ok(res.ok, JSON.stringify(res));
    const ids = res.data.map((t) => t.traceId);
    assert.ok(!ids.includes(shop.ids.future), "a trace starting after now is not returned");
    assert.ok(!ids.includes(shop.ids.straddling), "a trace still running at now is not returned");
    assert.deepEqual(ids.sort(), [shop.ids.ok, shop.ids.error, shop.ids.slow].sort());
    assert.ok(res.data.every((t) => t.startMs + t.durationMs <= shop.now));
    // The query that left the process was clamped to the clock (whole seconds).
    assert.equal(fake.requests.at(-1)?.query.get("end"), String(Math.ceil(shop.now / 1000)));
  });

  it("drops spans ending after the clock from a trace", async () => {
    const res = await source.getTrace(shop.ids.straddling);

    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(
      res.data.map((s) => s.spanId),
      ["e000000000000002"],
    );
  });

  it("lists services from resource.service.name tag values", async () => {
    const res = await source.services(range);

    assert.ok(res.ok);
    assert.deepEqual(res.data, ["cart", "checkout", "frontend", "payments", "redis"]);
    assert.equal(fake.requests.at(-1)?.path, "/api/v2/search/tag/resource.service.name/values");
  });

  it("sends a hostile service name as one escaped string literal that matches nothing", async () => {
    const hostile = 'frontend" || resource.service.name != "';

    const res = await source.searchTraces({ range, service: hostile });

    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(res.data, []);
    assert.equal(
      fake.requests.at(-1)?.query.get("q"),
      '{ resource.service.name = "frontend\\" || resource.service.name != \\"" }',
    );
  });

  it("refuses a service name with control characters without calling Tempo", async () => {
    const seen = fake.requests.length;

    const res = await source.searchTraces({ range, service: "cart\n} || {" });

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "denied");
    assert.equal(fake.requests.length, seen);
  });

  it("answers an empty list for a range entirely after the clock", async () => {
    const seen = fake.requests.length;

    const res = await source.searchTraces({ range: { from: shop.now + 1, to: shop.now + 1_000 } });

    assert.deepEqual(res, { ok: true, data: [], truncated: false });
    assert.equal(fake.requests.length, seen);
  });
});
