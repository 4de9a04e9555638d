import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type FakeLoki, startFakeLoki } from "../../test/fakes/loki.ts";
import { LokiClient, toNs } from "./client.ts";
import { checkLogQL, parseSelector } from "./logql.ts";
import { LokiLogsSource } from "./logs-source.ts";

const BASE = Date.UTC(2026, 0, 15, 10, 0, 0);
const RANGE = { from: BASE, to: BASE + 600_000 };
const HOSTILE = 'a"} |= "x';

function at(offsetSec: number): string {
  return toNs(BASE + offsetSec * 1000);
}

describe("tools/loki/logs-source", () => {
  let loki: FakeLoki;
  let appOnly: FakeLoki;
  let unlabelled: FakeLoki;

  before(async () => {
    loki = await startFakeLoki({
      streams: [
        {
          labels: { service_name: "checkout", app: "shop", namespace: "prod" },
          values: [
            [at(10), 'level=info msg="order placed" order=1'],
            [
              at(20),
              'level=error msg="payment failed" err="connection refused" trace_id=4bf92f3577b34da6a3ce929d0e0e4736',
            ],
            [at(30), "java.lang.IllegalStateException: pool exhausted"],
            [at(40), 'level=info msg="order placed" order=2'],
            [at(300), 'level=error msg="payment failed" err="timeout"'],
          ],
        },
        {
          labels: { service_name: "cart", app: "shop", namespace: "prod" },
          values: [
            [at(15), "ERROR redis timeout after 2s"],
            [at(25), "INFO cart updated"],
          ],
        },
        {
          labels: { service_name: "payments", app: "shop", namespace: "prod" },
          values: [[at(35), "ERROR card declined"]],
        },
        {
          labels: { service_name: HOSTILE, namespace: "prod" },
          values: [
            [at(12), "error from the hostile service"],
            [at(13), "x marks the spot"],
          ],
        },
        {
          labels: { service_name: "cXX", namespace: "prod" },
          values: [[at(14), "error from cXX"]],
        },
        {
          labels: { service_name: "burst", namespace: "prod" },
          values: Array.from({ length: 10 }, (_, i): [string, string] => [at(100 + i), `error burst ${i}`]),
        },
      ],
    });
    appOnly = await startFakeLoki({
      streams: [{ labels: { app: "legacy-api", job: "default/legacy" }, values: [[at(5), "ERROR boom"]] }],
    });
    unlabelled = await startFakeLoki({
      streams: [{ labels: { filename: "/var/log/syslog" }, values: [[at(5), "kernel: oom"]] }],
    });
  });

  after(async () => {
    // Read-only: every request any of our sources made was a GET.
    for (const fake of [loki, appOnly, unlabelled]) {
      assert.ok(fake.requests.length > 0);
      for (const r of fake.requests) assert.equal(r.method, "GET", `${r.method} ${r.path}`);
      await fake.stop();
    }
  });

  function source(fake: FakeLoki, options: { now?: number; serviceLabels?: string[] } = {}): LokiLogsSource {
    return new LokiLogsSource({ client: new LokiClient({ baseUrl: fake.url, retries: 0 }), now: RANGE.to, ...options });
  }

  it("discovers the first service label Loki knows, in the configured order", async () => {
    const preferred = await source(loki).serviceLabel(RANGE);
    const fallback = await source(appOnly).serviceLabel(RANGE);
    const configured = await source(appOnly, { serviceLabels: ["job", "app"] }).serviceLabel(RANGE);

    assert.deepEqual(preferred, { ok: true, data: "service_name", truncated: false });
    assert.deepEqual(fallback, { ok: true, data: "app", truncated: false });
    assert.deepEqual(configured, { ok: true, data: "job", truncated: false });
  });

  it("lists services from the discovered label's values, sorted", async () => {
    const res = await source(loki).services(RANGE);
    const legacy = await source(appOnly).services(RANGE);

    assert.ok(res.ok);
    assert.deepEqual(res.data, ["burst", "cXX", "cart", "checkout", "payments", HOSTILE].sort());
    assert.deepEqual(legacy.ok && legacy.data, ["legacy-api"]);
  });

  it("says unavailable when Loki has labels but none of the service conventions", async () => {
    const res = await source(unlabelled).services(RANGE);

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "unavailable");
    assert.match(res.error.message, /filename/);
  });

  it("queryLogs keeps only the asked services and lines containing a term, case-insensitively, oldest first", async () => {
    const res = await source(loki).queryLogs({
      services: ["checkout", "cart"],
      range: RANGE,
      contains: ["error", "exception"],
    });

    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(
      res.data.map((r) => [r.service, r.line]),
      [
        ["cart", "ERROR redis timeout after 2s"],
        [
          "checkout",
          'level=error msg="payment failed" err="connection refused" trace_id=4bf92f3577b34da6a3ce929d0e0e4736',
        ],
        ["checkout", "java.lang.IllegalStateException: pool exhausted"],
        ["checkout", 'level=error msg="payment failed" err="timeout"'],
      ],
    );
    assert.equal(res.truncated, false);
    assert.equal(res.data[1]?.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(res.data[0]?.t, BASE + 15_000);
    assert.equal(res.data[0]?.labels.namespace, "prod");
  });

  it("gives each record a ref that reopens it: the LogQL sent and the line's nanosecond time", async () => {
    const before = loki.requests.length;

    const res = await source(loki).queryLogs({ services: ["payments"], range: RANGE });

    assert.ok(res.ok);
    const sent = loki.requests.slice(before).find((r) => r.path === "/loki/api/v1/query_range");
    assert.equal(res.data.length, 1);
    assert.equal(res.data[0]?.ref, `${sent?.query.get("query")}@${at(35)}`);
    assert.equal(sent?.query.get("query"), '{service_name="payments"}');
  });

  it("never returns lines after the investigation clock, and asks Loki for nothing after it", async () => {
    const now = BASE + 30_000;
    const before = loki.requests.length;

    const res = await source(loki, { now }).queryLogs({ services: ["checkout"], range: RANGE, direction: "forward" });

    assert.ok(res.ok);
    assert.deepEqual(
      res.data.map((r) => r.t),
      [BASE + 10_000, BASE + 20_000, BASE + 30_000],
    );
    const sent = loki.requests.slice(before).find((r) => r.path === "/loki/api/v1/query_range");
    assert.ok(BigInt(sent?.query.get("end") ?? "0") <= BigInt(toNs(now)) + 1n);
  });

  it("returns nothing, without a query, for a range entirely after the clock", async () => {
    const before = loki.requests.length;

    const res = await source(loki, { now: BASE }).queryLogs({ range: { from: BASE + 1_000, to: BASE + 5_000 } });

    assert.deepEqual(res, { ok: true, data: [], truncated: false });
    assert.equal(loki.requests.length, before);
  });

  it("marks the result truncated when `limit` lines came back, keeping the newest", async () => {
    const res = await source(loki).queryLogs({ services: ["burst"], range: RANGE, limit: 3 });

    assert.ok(res.ok);
    assert.equal(res.truncated, true);
    assert.deepEqual(
      res.data.map((r) => r.line),
      ["error burst 7", "error burst 8", "error burst 9"],
    );
  });

  it("escapes a hostile service name: Loki receives a valid selector matching exactly that service", async () => {
    const before = loki.requests.length;

    const res = await source(loki).queryLogs({ services: [HOSTILE], range: RANGE });

    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(
      res.data.map((r) => r.line),
      ["error from the hostile service", "x marks the spot"],
    );
    const query = loki.requests
      .slice(before)
      .find((r) => r.path === "/loki/api/v1/query_range")
      ?.query.get("query");
    assert.ok(query);
    assert.deepEqual(checkLogQL(query), { ok: true });
    assert.deepEqual(parseSelector(query), [{ name: "service_name", op: "=", value: HOSTILE }]);
  });

  it("escapes regex metacharacters in names and terms: they match literally", async () => {
    const before = loki.requests.length;

    const res = await source(loki).queryLogs({
      services: [HOSTILE, "c.*"],
      range: RANGE,
      contains: ['") |= "', "error"],
    });

    assert.ok(res.ok, JSON.stringify(res));
    // `c.*` must not match the `cXX` service, and the hostile term adds no filter stage.
    assert.deepEqual(
      res.data.map((r) => r.line),
      ["error from the hostile service"],
    );
    const query = loki.requests
      .slice(before)
      .find((r) => r.path === "/loki/api/v1/query_range")
      ?.query.get("query");
    assert.ok(query);
    assert.deepEqual(checkLogQL(query), { ok: true });
  });

  it("passes a backend failure through as a typed error instead of throwing", async () => {
    const gone = await startFakeLoki({ streams: [] });
    await gone.stop();
    const down = new LokiLogsSource({ client: new LokiClient({ baseUrl: gone.url, retries: 0 }) });

    const res = await down.queryLogs({ range: RANGE });

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "network");
  });
});
