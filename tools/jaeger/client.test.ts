import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { type FakeJaeger, startFakeJaeger } from "../../test/fakes/jaeger.ts";
import type { SpanRecord, TimeRange } from "../interfaces.ts";
import { buildShopTraces } from "../otlp/__fixtures__/shop-traces.ts";
import { JaegerClient } from "./client.ts";
import { JaegerTracesSource } from "./traces-source.ts";

const shop = buildShopTraces();
const shopRange: TimeRange = { from: shop.start, to: shop.now };

function bySpanId(spans: SpanRecord[]): SpanRecord[] {
  return [...spans].sort((a, b) => a.spanId.localeCompare(b.spanId));
}

interface ContractTarget {
  url: string;
  range: TimeRange;
  expectData: boolean;
}

/** The same assertions against the fakes (v3 and legacy) and, when JAEGER_URL is set, a real jaeger-query. */
function jaegerContract(label: string, target: () => ContractTarget | undefined): void {
  describe(`tools/jaeger contract: ${label}`, () => {
    let t: ContractTarget | undefined;
    let source: JaegerTracesSource;
    let service = "";

    before(async () => {
      t = target();
      if (!t) return;
      source = new JaegerTracesSource({ client: new JaegerClient({ baseUrl: t.url }), now: t.range.to });
      const services = await source.services(t.range);
      assert.ok(services.ok, JSON.stringify(services));
      service = services.data.includes("frontend")
        ? "frontend"
        : (services.data.find((s) => !/jaeger/.test(s)) ?? services.data[0] ?? "");
    });

    it("lists services", async (ctx) => {
      if (!t) return ctx.skip("JAEGER_URL is not set; the real-Jaeger half of the contract did not run");
      const res = await source.services(t.range);

      assert.ok(res.ok, JSON.stringify(res));
      assert.ok(res.data.length > 0);
    });

    it("searches by service and every hit's trace touches that service", async (ctx) => {
      if (!t) return ctx.skip("JAEGER_URL is not set; the real-Jaeger half of the contract did not run");
      const res = await source.searchTraces({ range: t.range, service, limit: 5 });

      assert.ok(res.ok, JSON.stringify(res));
      if (t.expectData) assert.ok(res.data.length > 0);
      assert.ok(res.data.length <= 5);
      for (const hit of res.data.slice(0, 3)) {
        const trace = await source.getTrace(hit.traceId);
        assert.ok(trace.ok, JSON.stringify(trace));
        assert.ok(trace.data.some((s) => s.service === service));
      }
    });

    it("error-only search returns traces with an error span", async (ctx) => {
      if (!t) return ctx.skip("JAEGER_URL is not set; the real-Jaeger half of the contract did not run");
      const res = await source.searchTraces({ range: t.range, service, errorsOnly: true, limit: 5 });

      assert.ok(res.ok, JSON.stringify(res));
      if (t.expectData)
        assert.deepEqual(
          res.data.map((h) => h.traceId),
          [shop.ids.error],
        );
      for (const hit of res.data.slice(0, 3)) {
        assert.equal(hit.hasError, true);
        const trace = await source.getTrace(hit.traceId);
        assert.ok(trace.ok);
        assert.ok(trace.data.some((s) => s.status === "error"));
      }
    });

    it("returns a trace by id with parents and statuses", async (ctx) => {
      if (!t) return ctx.skip("JAEGER_URL is not set; the real-Jaeger half of the contract did not run");
      const hits = await source.searchTraces({ range: t.range, service, limit: 1 });
      assert.ok(hits.ok, JSON.stringify(hits));
      if (t.expectData) assert.ok(hits.data.length > 0);
      if (hits.data.length === 0) return ctx.skip("the real Jaeger holds no trace for the service in the last hour");

      const trace = await source.getTrace(hits.data[0].traceId);

      assert.ok(trace.ok, JSON.stringify(trace));
      const ids = new Set(trace.data.map((s) => s.spanId));
      assert.ok(
        trace.data.some((s) => !s.parentSpanId),
        "a root",
      );
      for (const s of trace.data) {
        assert.equal(s.traceId, hits.data[0].traceId);
        assert.ok(["ok", "error", "unset"].includes(s.status));
        if (s.parentSpanId) assert.ok(ids.has(s.parentSpanId), `parent of ${s.spanId} is in the trace`);
      }
    });
  });
}

let v3: FakeJaeger;
let legacy: FakeJaeger;
let chunks: FakeJaeger;
before(async () => {
  v3 = await startFakeJaeger({ spans: shop.spans });
  legacy = await startFakeJaeger({ spans: shop.spans, legacyOnly: true });
  chunks = await startFakeJaeger({ spans: shop.spans, v3Chunks: true });
});
after(async () => {
  await Promise.all([v3?.close(), legacy?.close(), chunks?.close()]);
});

jaegerContract("fake api_v3", () => ({ url: v3.url, range: shopRange, expectData: true }));
jaegerContract("fake legacy", () => ({ url: legacy.url, range: shopRange, expectData: true }));
jaegerContract("real (JAEGER_URL)", () => {
  const url = process.env.JAEGER_URL;
  if (!url) {
    console.log("# JAEGER_URL is not set: the real-Jaeger contract is skipped");
    return undefined;
  }
  return { url, range: { from: Date.now() - 3_600_000, to: Date.now() }, expectData: false };
});

describe("tools/jaeger/client against the fakes", () => {
  it("sends api_v3 snake_case parameters with RFC 3339 times", async () => {
    const client = new JaegerClient({ baseUrl: v3.url });
    const seen = v3.requests.length;

    const res = await client.findTraces({ service: "cart", range: shopRange, limit: 7, minDurationMs: 500 });

    assert.ok(res.ok, JSON.stringify(res));
    const req = v3.requests[seen];
    assert.equal(req.path, "/api/v3/traces");
    assert.deepEqual([...req.query.keys()].sort(), [
      "query.duration_min",
      "query.num_traces",
      "query.service_name",
      "query.start_time_max",
      "query.start_time_min",
    ]);
    assert.equal(req.query.get("query.service_name"), "cart");
    assert.equal(req.query.get("query.start_time_min"), new Date(shop.start).toISOString());
    assert.equal(req.query.get("query.start_time_max"), new Date(shop.now).toISOString());
    assert.equal(req.query.get("query.num_traces"), "7");
    assert.equal(req.query.get("query.duration_min"), "500ms");
    assert.deepEqual([...new Set(res.data.map((s) => s.traceId))], [shop.ids.slow]);
    assert.equal(client.api, "v3");
  });

  it("reads a v3 trace by id exactly", async () => {
    const client = new JaegerClient({ baseUrl: v3.url });

    const res = await client.trace(shop.ids.error);

    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(bySpanId(res.data), bySpanId(shop.spans.filter((s) => s.traceId === shop.ids.error)));
  });

  it("reads v3 answers sent as a list of result chunks", async () => {
    const client = new JaegerClient({ baseUrl: chunks.url });

    const res = await client.findTraces({ service: "frontend", range: shopRange, limit: 20 });

    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(
      [...new Set(res.data.map((s) => s.traceId))].sort(),
      [shop.ids.ok, shop.ids.error, shop.ids.slow, shop.ids.straddling].sort(),
    );
  });

  it("falls back to the legacy API when v3 answers 404, and remembers it", async () => {
    const client = new JaegerClient({ baseUrl: legacy.url });
    const seen = legacy.requests.length;

    const first = await client.findTraces({ service: "payments", range: shopRange, limit: 5, tags: { error: "true" } });
    const second = await client.trace(shop.ids.error);

    assert.ok(first.ok && second.ok, JSON.stringify([first, second]));
    assert.equal(client.api, "legacy");
    assert.deepEqual(
      legacy.requests.slice(seen).map((r) => r.path),
      ["/api/v3/traces", "/api/v3/services", "/api/traces", `/api/traces/${shop.ids.error}`],
    );
    const search = legacy.requests[seen + 2];
    assert.equal(search.query.get("service"), "payments");
    assert.equal(search.query.get("start"), String(shop.start * 1000));
    assert.equal(search.query.get("end"), String(shop.now * 1000));
    assert.equal(search.query.get("tags"), '{"error":"true"}');
    assert.deepEqual(bySpanId(second.data), bySpanId(shop.spans.filter((s) => s.traceId === shop.ids.error)));
  });

  it("keeps a v3 404 for an unknown trace as not found, without switching APIs", async () => {
    const client = new JaegerClient({ baseUrl: v3.url });

    const res = await client.trace("ffffffffffffffffffffffffffffffff");

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "http");
    assert.match(res.error.message, /HTTP 404/);
    assert.equal(client.api, "v3");
  });

  it("lists operations on v3 and refuses hostile trace ids before any request", async () => {
    const client = new JaegerClient({ baseUrl: v3.url });
    const ops = await client.operations("cart");
    const seen = v3.requests.length;

    const bad = await client.trace("../../api/admin");

    assert.ok(ops.ok);
    assert.deepEqual(ops.data, [{ name: "cart.get", spanKind: "server" }]);
    assert.ok(!bad.ok);
    assert.equal(bad.error.kind, "denied");
    assert.equal(v3.requests.length, seen);
  });
});

describe("tools/jaeger/client faults", () => {
  const fast = { retryBaseMs: 5, api: "v3" as const };

  it("reports a down backend as network", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));

    const res = await new JaegerClient({ baseUrl: `http://127.0.0.1:${port}`, ...fast }).services();

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "network");
    assert.equal(res.error.backend, "jaeger");
  });

  it("times out a slow answer within the bound", async () => {
    v3.inject({ delayMs: 3_000, path: /^\/api\/v3\/services$/ });
    const started = Date.now();

    const res = await new JaegerClient({ baseUrl: v3.url, timeoutMs: 200, ...fast }).services();

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "timeout");
    assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`);
  });

  it("retries a 500 and returns the next 200", async () => {
    v3.inject({ status: 500, path: /^\/api\/v3\/services$/ });
    const seen = v3.requests.length;

    const res = await new JaegerClient({ baseUrl: v3.url, ...fast }).services();

    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(res.data, ["cart", "checkout", "frontend", "payments", "redis"]);
    assert.equal(v3.requests.length - seen, 2);
  });

  it("honours Retry-After on a 429", async () => {
    v3.inject({ status: 429, retryAfterSeconds: 1, path: /^\/api\/v3\/services$/ });
    const started = Date.now();

    const res = await new JaegerClient({ baseUrl: v3.url, ...fast }).services();

    assert.ok(res.ok, JSON.stringify(res));
    assert.ok(Date.now() - started >= 900, "waited for Retry-After");
  });

  it("reports malformed JSON and wrong shapes as parse", async () => {
    v3.inject({ body: "malformed", path: /^\/api\/v3\/traces\// });
    v3.inject({ json: { result: { resourceSpans: 42 } }, path: /^\/api\/v3\/traces\// });
    const client = new JaegerClient({ baseUrl: v3.url, ...fast });

    const malformed = await client.trace(shop.ids.ok);
    const wrongShape = await client.trace(shop.ids.ok);

    for (const res of [malformed, wrongShape]) {
      assert.ok(!res.ok);
      assert.equal(res.error.kind, "parse");
    }
  });

  it("refuses a huge answer as denied", async () => {
    v3.inject({ body: "huge", hugeBytes: 4 * 1024 * 1024, path: /^\/api\/v3\/traces$/ });

    const res = await new JaegerClient({ baseUrl: v3.url, maxBytes: 64 * 1024, ...fast }).findTraces({
      service: "cart",
      range: shopRange,
    });

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "denied");
  });
});
