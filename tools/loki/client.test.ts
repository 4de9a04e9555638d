import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type FakeLoki, startFakeLoki } from "../../test/fakes/loki.ts";
import type { ToolCallRecord } from "../interfaces.ts";
import { LokiClient, nsToMs, toNs } from "./client.ts";

const BASE = Date.UTC(2026, 0, 15, 10, 0, 0);
const RANGE = { from: BASE, to: BASE + 600_000 };
const QUERY = '{service_name="api"} |= "error"';

describe("tools/loki/client", () => {
  let loki: FakeLoki;
  let closedUrl: string;

  before(async () => {
    loki = await startFakeLoki({
      tenant: "team-a",
      streams: [
        {
          labels: { service_name: "api", level: "error" },
          values: Array.from({ length: 50 }, (_, i): [string, string] => [toNs(BASE + i * 1000), `error ${i}`]),
        },
        { labels: { service_name: "web", level: "info" }, values: [[toNs(BASE + 500), "info served"]] },
      ],
    });
    const closed = await startFakeLoki({ streams: [] });
    closedUrl = closed.url;
    await closed.stop();
  });

  after(async () => {
    for (const r of loki.requests) assert.equal(r.method, "GET", `${r.method} ${r.path}`);
    await loki.stop();
  });

  function client(options: Partial<ConstructorParameters<typeof LokiClient>[0]> = {}): LokiClient {
    return new LokiClient({ baseUrl: loki.url, tenant: "team-a", retries: 0, retryBaseMs: 10, ...options });
  }

  it("converts milliseconds to nanosecond strings and back without losing precision", () => {
    assert.equal(toNs(1_700_000_000_123), "1700000000123000000");
    assert.equal(toNs(1_700_000_000_123.5), "1700000000123500000");
    assert.equal(nsToMs("1700000000123456789"), 1_700_000_000_123.456);
  });

  it("sends the tenant, ns times, an inclusive end, limit and direction", async () => {
    const before = loki.requests.length;

    const res = await client().queryRange(QUERY, RANGE, { limit: 7, direction: "forward" });

    assert.ok(res.ok);
    const req = loki.requests[before];
    assert.equal(req?.headers["x-scope-orgid"], "team-a");
    assert.equal(req?.query.get("start"), toNs(RANGE.from));
    assert.equal(req?.query.get("end"), (BigInt(toNs(RANGE.to)) + 1n).toString());
    assert.equal(req?.query.get("limit"), "7");
    assert.equal(req?.query.get("direction"), "forward");
  });

  it("a missing tenant is refused by a multi-tenant Loki: denied, not retried", async () => {
    const before = loki.requests.length;

    const res = await new LokiClient({ baseUrl: loki.url, retries: 2, retryBaseMs: 10 }).labels(RANGE);

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "denied");
    assert.match(res.error.message, /401.*no org id/);
    assert.equal(loki.requests.length - before, 1);
  });

  it("caps lines at maxLines, keeping the newest for backward, and reports truncation in the result and the record", async () => {
    const calls: ToolCallRecord[] = [];

    const res = await client({ maxLines: 10, onCall: (r) => calls.push(r) }).queryRange(QUERY, RANGE, { limit: 50 });

    assert.ok(res.ok && res.data.resultType === "streams");
    assert.equal(res.data.lines, 10);
    assert.equal(res.truncated, true);
    assert.deepEqual(
      res.data.streams[0]?.entries.map((e) => e.line),
      Array.from({ length: 10 }, (_, i) => `error ${49 - i}`),
    );
    assert.equal(calls[0]?.truncated, true);
    assert.equal(calls[0]?.rows, 10);
    assert.equal(calls[0]?.operation, "query_range");
    assert.equal(calls[0]?.query, QUERY);
  });

  it("a metric query_range returns a matrix grouped by the sum's labels", async () => {
    const res = await client().queryRange(
      'sum by (level) (count_over_time({service_name=~"api|web"}[10m]))',
      { from: BASE + 60_000, to: BASE + 60_000 },
      { stepMs: 60_000 },
    );

    assert.ok(res.ok, JSON.stringify(res));
    assert.ok(res.data.resultType === "matrix", res.data.resultType);
    const byLevel = Object.fromEntries(res.data.series.map((s) => [s.metric.level, s.points]));
    assert.deepEqual(byLevel, { error: [[BASE + 60_000, 50]], info: [[BASE + 60_000, 1]] });
  });

  it("an instant log query is a 400 from Loki, surfaced as an http error", async () => {
    const res = await client().query(QUERY, BASE + 60_000);

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "http");
    assert.match(res.error.message, /HTTP 400.*log queries are not supported as an instant query/);
  });

  it("volume and index stats summarise bytes per label set", async () => {
    const volume = await client().volume('{service_name=~".+"}', RANGE);
    const stats = await client().indexStats('{service_name="web"}', RANGE);

    assert.ok(volume.ok && stats.ok);
    assert.deepEqual(
      volume.data.map((v) => v.metric.service_name),
      ["api", "web"],
    );
    assert.equal(volume.data[1]?.bytes, Buffer.byteLength("info served"));
    assert.deepEqual(stats.data, { streams: 1, chunks: 1, entries: 1, bytes: Buffer.byteLength("info served") });
  });

  it("refuses an invalid label name and untrusted invalid LogQL without sending anything", async () => {
    const before = loki.requests.length;

    const label = await client().labelValues("../admin", RANGE);
    const untrusted = await client().queryRange('{app="x"', RANGE, { untrusted: true });
    const empty = await client().queryRange('{app=~".*"}', RANGE, { untrusted: true });

    assert.ok(!label.ok && !untrusted.ok && !empty.ok);
    assert.equal(label.error.kind, "denied");
    assert.equal(untrusted.error.kind, "denied");
    assert.match(untrusted.error.message, /invalid LogQL, not sent: parse error at line 1, col 9/);
    assert.match(empty.error.message, /empty-compatible/);
    assert.equal(loki.requests.length, before);
  });

  describe("faults", () => {
    it("a closed port is a network error", async () => {
      const res = await new LokiClient({ baseUrl: closedUrl, retries: 2 }).labels(RANGE);

      assert.ok(!res.ok);
      assert.equal(res.error.kind, "network");
    });

    it("an answer slower than the timeout is a timeout error within the bound", async () => {
      loki.injectFault({ kind: "delay", ms: 3_000 });
      const started = Date.now();

      const res = await client({ timeoutMs: 200 }).queryRange(QUERY, RANGE);

      assert.ok(!res.ok);
      assert.equal(res.error.kind, "timeout");
      assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`);
    });

    it("a 500 then a 200 is retried and succeeds", async () => {
      loki.injectFault({ kind: "status", status: 500, path: "/loki/api/v1/labels" });
      const before = loki.requestsTo("/loki/api/v1/labels").length;

      const res = await client({ retries: 2 }).labels(RANGE);

      assert.ok(res.ok, JSON.stringify(res));
      assert.deepEqual(res.data, ["level", "service_name"]);
      assert.equal(loki.requestsTo("/loki/api/v1/labels").length - before, 2);
    });

    it("a 429 with Retry-After is retried after the advertised delay", async () => {
      loki.injectFault({ kind: "status", status: 429, retryAfter: "1", body: "too many outstanding requests" });
      const started = Date.now();

      const res = await client({ retries: 1 }).labelValues("service_name", RANGE);

      assert.ok(res.ok, JSON.stringify(res));
      assert.deepEqual(res.data, ["api", "web"]);
      assert.ok(Date.now() - started >= 900, `retried after ${Date.now() - started} ms`);
    });

    it("a persistent 503 gives up after the retries with an http error carrying Loki's text", async () => {
      loki.injectFault({ kind: "status", status: 503, times: 3, body: "ingester not ready" });
      const before = loki.requests.length;

      const res = await client({ retries: 2 }).series(['{service_name="api"}'], RANGE);

      assert.ok(!res.ok);
      assert.equal(res.error.kind, "http");
      assert.match(res.error.message, /HTTP 503.*ingester not ready/);
      assert.equal(loki.requests.length - before, 3);
    });

    it("malformed JSON is a parse error", async () => {
      loki.injectFault({ kind: "malformed" });

      const res = await client().queryRange(QUERY, RANGE);

      assert.ok(!res.ok);
      assert.equal(res.error.kind, "parse");
    });

    it("a body over maxBytes is refused as denied and recorded as truncated", async () => {
      loki.injectFault({ kind: "huge", bytes: 4 * 1024 * 1024 });
      const calls: ToolCallRecord[] = [];

      const res = await client({ maxBytes: 256 * 1024, onCall: (r) => calls.push(r) }).queryRange(QUERY, RANGE);

      assert.ok(!res.ok);
      assert.equal(res.error.kind, "denied");
      assert.match(res.error.message, /262144-byte cap/);
      assert.equal(calls[0]?.truncated, true);
      assert.match(calls[0]?.error ?? "", /^denied: /);
    });

    it("an error envelope inside a 200 is an http error, and a non-envelope is a parse error", async () => {
      const odd = await startFakeLoki({ streams: [] });
      odd.injectFault({
        kind: "status",
        status: 200,
        body: '{"status":"error","errorType":"bad_data","error":"boom"}',
      });
      odd.injectFault({ kind: "status", status: 200, body: '{"hello":"world"}' });
      const c = new LokiClient({ baseUrl: odd.url, retries: 0 });

      const envelopeError = await c.labels(RANGE);
      const notEnvelope = await c.labels(RANGE);
      await odd.stop();

      assert.ok(!envelopeError.ok && !notEnvelope.ok);
      assert.equal(envelopeError.error.kind, "http");
      assert.match(envelopeError.error.message, /boom/);
      assert.equal(notEnvelope.error.kind, "parse");
    });
  });
});
