import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { type FakeTempo, startFakeTempo } from "../../test/fakes/tempo.ts";
import type { SpanRecord, TimeRange, ToolCallRecord } from "../interfaces.ts";
import { buildShopTraces } from "../otlp/__fixtures__/shop-traces.ts";
import { TempoClient } from "./client.ts";
import { TempoTracesSource } from "./traces-source.ts";

const shop = buildShopTraces();
const shopRange: TimeRange = { from: shop.start, to: shop.now + 10_000 };

function assertWellFormedTrace(spans: SpanRecord[], traceId: string): void {
  assert.ok(spans.length > 0, `trace ${traceId} has spans`);
  const ids = new Set(spans.map((s) => s.spanId));
  for (const s of spans) {
    assert.equal(s.traceId, traceId);
    assert.match(s.spanId, /^[0-9a-f]+$/);
    assert.ok(["ok", "error", "unset"].includes(s.status));
    assert.ok(Number.isFinite(s.startMs) && s.durationMs >= 0);
  }
  // At least one root, and most parents resolve inside the trace (real traces can miss a few spans).
  assert.ok(spans.some((s) => !s.parentSpanId || !ids.has(s.parentSpanId)));
  const resolved = spans.filter((s) => s.parentSpanId && ids.has(s.parentSpanId)).length;
  assert.ok(resolved >= spans.filter((s) => s.parentSpanId).length / 2, "parents resolve within the trace");
}

interface ContractTarget {
  url: string;
  range: TimeRange;
  tenant?: string;
  /** The fake's data is known: searches must find something. */
  expectData: boolean;
}

/** The same assertions against the fake and, when TEMPO_URL is set, a real Tempo. */
function tempoContract(label: string, target: () => ContractTarget | undefined): void {
  describe(`tools/tempo contract: ${label}`, () => {
    let t: ContractTarget;
    let source: TempoTracesSource;
    let service: string;

    before(async (ctx) => {
      const found = target();
      if (!found) return;
      t = found;
      const client = new TempoClient({ baseUrl: t.url, tenant: t.tenant, timeoutMs: 10_000 });
      source = new TempoTracesSource({ client, now: t.range.to });
      const services = await source.services(t.range);
      assert.ok(services.ok, JSON.stringify(services));
      service = services.data.includes("frontend") ? "frontend" : (services.data[0] ?? "");
      void ctx;
    });

    it("lists services", async (ctx) => {
      if (!t) return ctx.skip("TEMPO_URL is not set; the real-Tempo half of the contract did not run");
      const res = await source.services(t.range);

      assert.ok(res.ok, JSON.stringify(res));
      assert.ok(res.data.length > 0, "at least one service");
      assert.deepEqual(res.data, [...res.data].sort());
    });

    it("searches by service and every hit's trace touches that service", async (ctx) => {
      if (!t) return ctx.skip("TEMPO_URL is not set; the real-Tempo half of the contract did not run");
      const res = await source.searchTraces({ range: t.range, service, limit: 5 });

      assert.ok(res.ok, JSON.stringify(res));
      if (t.expectData) assert.ok(res.data.length > 0);
      assert.ok(res.data.length <= 5);
      for (const hit of res.data.slice(0, 3)) {
        const trace = await source.getTrace(hit.traceId);
        assert.ok(trace.ok, JSON.stringify(trace));
        assert.ok(
          trace.data.some((s) => s.service === service),
          `${hit.traceId} touches ${service}`,
        );
      }
    });

    it("error-only search returns traces with an error span in the service", async (ctx) => {
      if (!t) return ctx.skip("TEMPO_URL is not set; the real-Tempo half of the contract did not run");
      const res = await source.searchTraces({ range: t.range, service, errorsOnly: true, limit: 5 });

      assert.ok(res.ok, JSON.stringify(res));
      if (t.expectData) assert.ok(res.data.length > 0);
      for (const hit of res.data.slice(0, 3)) {
        assert.equal(hit.hasError, true);
        const trace = await source.getTrace(hit.traceId);
        assert.ok(trace.ok);
        assert.ok(trace.data.some((s) => s.service === service && s.status === "error"));
      }
    });

    it("returns a trace by id with parents and statuses", async (ctx) => {
      if (!t) return ctx.skip("TEMPO_URL is not set; the real-Tempo half of the contract did not run");
      const hits = await source.searchTraces({ range: t.range, limit: 1 });
      assert.ok(hits.ok, JSON.stringify(hits));
      if (t.expectData) assert.ok(hits.data.length > 0);
      if (hits.data.length === 0) return ctx.skip("the real Tempo holds no trace in the last hour");

      const trace = await source.getTrace(hits.data[0].traceId);

      assert.ok(trace.ok, JSON.stringify(trace));
      assertWellFormedTrace(trace.data, hits.data[0].traceId);
    });
  });
}

let fake: FakeTempo;
before(async () => {
  fake = await startFakeTempo({ spans: shop.spans, tenant: "acme" });
});
after(async () => {
  await fake?.close();
});

tempoContract("fake", () => ({
  url: fake.url,
  range: { from: shop.start, to: shop.now },
  tenant: "acme",
  expectData: true,
}));
tempoContract("real (TEMPO_URL)", () => {
  const url = process.env.TEMPO_URL;
  if (!url) {
    console.log("# TEMPO_URL is not set: the real-Tempo contract is skipped");
    return undefined;
  }
  return {
    url,
    range: { from: Date.now() - 3_600_000, to: Date.now() },
    tenant: process.env.TEMPO_TENANT,
    expectData: false,
  };
});

describe("tools/tempo/client against the fake", () => {
  it("sends TraceQL, unix-second start/end, limit+1 and spss, with the tenant header", async () => {
    const client = new TempoClient({ baseUrl: fake.url, tenant: "acme" });
    const seen = fake.requests.length;

    const res = await client.search('{ resource.service.name = "frontend" }', shopRange, { limit: 2, spss: 5 });

    assert.ok(res.ok, JSON.stringify(res));
    const req = fake.requests[seen];
    assert.equal(req.path, "/api/search");
    assert.equal(req.query.get("q"), '{ resource.service.name = "frontend" }');
    assert.equal(req.query.get("start"), String(Math.floor(shopRange.from / 1000)));
    assert.equal(req.query.get("end"), String(Math.ceil(shopRange.to / 1000)));
    assert.equal(req.query.get("limit"), "3");
    assert.equal(req.query.get("spss"), "5");
    assert.equal(req.headers["x-scope-orgid"], "acme");
    // Four frontend traces in range, two asked: the result says there were more.
    assert.equal(res.data.traces.length, 2);
    assert.equal(res.truncated, true);
  });

  it("finds error spans, durations and span attributes with TraceQL", async () => {
    const client = new TempoClient({ baseUrl: fake.url, tenant: "acme" });
    const ids = async (q: string) => {
      const res = await client.search(q, shopRange, { limit: 20 });
      assert.ok(res.ok, JSON.stringify(res));
      return res.data.traces.map((t) => t.traceID).sort();
    };

    assert.deepEqual(await ids('{ resource.service.name = "payments" && status = error }'), [shop.ids.error]);
    assert.deepEqual(await ids("{ span.http.status_code = 500 }"), [shop.ids.error]);
    assert.deepEqual(await ids('{ resource.service.name = "cart" && duration > 500ms }'), [shop.ids.slow]);
    assert.deepEqual(await ids('{ resource.service.name = "redis" }'), [shop.ids.ok]);
  });

  it("reads a trace from /api/v2/traces/<id> with base64 ids into SpanRecords", async () => {
    const client = new TempoClient({ baseUrl: fake.url, tenant: "acme" });

    const res = await client.trace(shop.ids.error.toUpperCase());

    assert.ok(res.ok, JSON.stringify(res));
    const expected = shop.spans.filter((s) => s.traceId === shop.ids.error);
    assert.deepEqual(
      [...res.data].sort((a, b) => a.spanId.localeCompare(b.spanId)),
      [...expected].sort((a, b) => a.spanId.localeCompare(b.spanId)),
    );
    assert.equal(fake.requests.at(-1)?.path, `/api/v2/traces/${shop.ids.error}`);
  });

  it("answers an unknown trace with a 404 http error", async () => {
    const client = new TempoClient({ baseUrl: fake.url, tenant: "acme" });
    await client.trace(shop.ids.ok); // v2 known to work: no v1 fallback afterwards

    const res = await client.trace("ffffffffffffffffffffffffffffffff");

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "http");
    assert.match(res.error.message, /HTTP 404/);
  });

  it("lists tags and tag values", async () => {
    const client = new TempoClient({ baseUrl: fake.url, tenant: "acme" });

    const tags = await client.tags();
    const values = await client.tagValues("resource.service.name");

    assert.ok(tags.ok && values.ok);
    assert.ok(tags.data.span.includes("http.status_code"));
    assert.deepEqual(values.data, ["cart", "checkout", "frontend", "payments", "redis"]);
  });

  it("refuses invalid TraceQL, trace ids and tag names before any request", async () => {
    const calls: ToolCallRecord[] = [];
    const client = new TempoClient({ baseUrl: fake.url, tenant: "acme", onCall: (r) => calls.push(r) });
    const seen = fake.requests.length;

    const bad = await client.search("{ status = }", shopRange);
    const traversal = await client.trace("../../api/admin");
    const tag = await client.tagValues("x/../../y");

    for (const res of [bad, traversal, tag]) {
      assert.ok(!res.ok);
      assert.equal(res.error.kind, "denied");
    }
    assert.equal(fake.requests.length, seen);
    assert.equal(calls.length, 3);
  });

  it("surfaces Tempo's 400 for TraceQL the fake does not support", async () => {
    const client = new TempoClient({ baseUrl: fake.url, tenant: "acme" });

    const res = await client.search("{ .a = 1 } >> { .b = 2 }", shopRange);

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "http");
    assert.match(res.error.message, /HTTP 400/);
  });

  it("gets 401 without the tenant header when Tempo is multi-tenant", async () => {
    const client = new TempoClient({ baseUrl: fake.url });

    const res = await client.tags();

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "denied");
  });
});

describe("tools/tempo/client faults", () => {
  const fast = { tenant: "acme", retryBaseMs: 5 };

  it("reports a down backend as network", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const client = new TempoClient({ baseUrl: `http://127.0.0.1:${port}`, ...fast });

    const res = await client.search("{}", shopRange);

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "network");
    assert.equal(res.error.backend, "tempo");
  });

  it("times out a slow answer within the bound", async () => {
    fake.inject({ delayMs: 3_000, path: /^\/api\/search$/ });
    const client = new TempoClient({ baseUrl: fake.url, timeoutMs: 200, ...fast });
    const started = Date.now();

    const res = await client.search("{}", shopRange);

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "timeout");
    assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`);
  });

  it("retries a 500 and returns the next 200", async () => {
    fake.inject({ status: 500, path: /^\/api\/search$/ });
    const client = new TempoClient({ baseUrl: fake.url, ...fast });
    const seen = fake.requests.length;

    const res = await client.search("{}", shopRange);

    assert.ok(res.ok, JSON.stringify(res));
    assert.equal(fake.requests.length - seen, 2);
  });

  it("honours Retry-After on a 429", async () => {
    fake.inject({ status: 429, retryAfterSeconds: 1, path: /^\/api\/search$/ });
    const client = new TempoClient({ baseUrl: fake.url, ...fast });
    const started = Date.now();

    const res = await client.search("{}", shopRange);

    assert.ok(res.ok, JSON.stringify(res));
    assert.ok(Date.now() - started >= 900, "waited for Retry-After");
  });

  it("reports malformed JSON as parse", async () => {
    fake.inject({ body: "malformed", path: /^\/api\/search$/ });
    const client = new TempoClient({ baseUrl: fake.url, ...fast });

    const res = await client.search("{}", shopRange);

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "parse");
  });

  it("reports valid JSON of the wrong shape as parse", async () => {
    const client = new TempoClient({ baseUrl: fake.url, ...fast });
    fake.inject({ json: { scopes: "resource" }, path: /^\/api\/v2\/search\/tags$/ });

    const res = await client.tags();

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "parse");
  });

  it("refuses a huge answer as denied without reading it all", async () => {
    fake.inject({ body: "huge", hugeBytes: 4 * 1024 * 1024, path: /^\/api\/v2\/traces\// });
    const client = new TempoClient({ baseUrl: fake.url, maxBytes: 64 * 1024, ...fast });

    const res = await client.trace(shop.ids.ok);

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "denied");
    assert.match(res.error.message, /65536-byte cap/);
  });
});
