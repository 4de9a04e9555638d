import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { freePort, type RunningProcess, startPrometheus, writeOpenMetrics } from "../../test/harness/prometheus.ts";
import { startRecordingServer } from "../../test/harness/recording-server.ts";
import type { ToolCallRecord } from "../interfaces.ts";
import { buildShopScenario, type ShopScenario } from "./__fixtures__/shop-scenario.ts";
import { PrometheusClient } from "./client.ts";

const READ_PATHS = /^\/api\/v1\/(query|query_range|series|label\/[a-zA-Z_][a-zA-Z0-9_]*\/values)$/;

function envelope(data: unknown): string {
  return JSON.stringify({ status: "success", data });
}

describe("tools/prometheus/client against a real Prometheus", () => {
  let prom: RunningProcess;
  let scenario: ShopScenario;

  before(async () => {
    scenario = buildShopScenario(Date.now());
    prom = await startPrometheus({ openMetrics: writeOpenMetrics(scenario.series) });
  });

  after(async () => {
    await prom?.stop();
  });

  it("queryRange returns the backfilled series with their exact values", async () => {
    const client = new PrometheusClient({ baseUrl: prom.url });

    const res = await client.queryRange(
      'http_requests_total{service="frontend"}',
      scenario.start,
      scenario.end,
      15_000,
    );

    assert.ok(res.ok, JSON.stringify(res));
    assert.equal(res.data.resultType, "matrix");
    assert.deepEqual(res.data.series.map((s) => s.metric.status).sort(), ["200", "500"]);
    for (const s of res.data.series) {
      const expected = scenario.series.find(
        (e) =>
          e.name === "http_requests_total" && e.labels.service === "frontend" && e.labels.status === s.metric.status,
      );
      assert.deepEqual(s.points, expected?.points);
    }
  });

  it("query evaluates an instant query at the given time", async () => {
    // A fractional timeout is sent as float seconds, the only fractional form Prometheus accepts.
    const client = new PrometheusClient({ baseUrl: prom.url, timeoutMs: 2_500 });

    const res = await client.query("sum by (service) (rate(http_requests_total[1m]))", scenario.end);

    assert.ok(res.ok, JSON.stringify(res));
    assert.equal(res.data.resultType, "vector");
    const rps = Object.fromEntries(res.data.series.map((s) => [s.metric.service, s.points[0]?.[1]]));
    assert.ok(Math.abs((rps.frontend ?? 0) - 10) < 1e-6, `frontend rps ${rps.frontend}`);
    assert.ok(Math.abs((rps.cart ?? 0) - 5) < 1e-6, `cart rps ${rps.cart}`);
    assert.equal(res.data.series[0]?.points[0]?.[0], scenario.end);
  });

  it("labelValues and series list what was backfilled", async () => {
    const client = new PrometheusClient({ baseUrl: prom.url });

    const values = await client.labelValues("service");
    const series = await client.series(["http_requests_total"], scenario.start, scenario.end);

    assert.ok(values.ok && series.ok);
    assert.deepEqual(values.data, ["cart", "frontend"]);
    assert.deepEqual(series.data.map((s) => `${s.service}/${s.status}`).sort(), [
      "cart/200",
      "frontend/200",
      "frontend/500",
    ]);
  });

  it("reads labels, metadata, alerts, rules and targets", async () => {
    const calls: ToolCallRecord[] = [];
    const client = new PrometheusClient({ baseUrl: prom.url, onCall: (r) => calls.push(r) });

    const [labels, metadata, alerts, rules, targets] = await Promise.all([
      client.labels(),
      client.metadata(),
      client.alerts(),
      client.rules(),
      client.targets(),
    ]);

    assert.ok(labels.ok && labels.data.includes("__name__") && labels.data.includes("service"), JSON.stringify(labels));
    assert.ok(metadata.ok, JSON.stringify(metadata));
    assert.ok(alerts.ok && Array.isArray(alerts.data), JSON.stringify(alerts));
    assert.ok(rules.ok && Array.isArray(rules.data), JSON.stringify(rules));
    // The test Prometheus scrapes nothing (its data is backfilled): an empty, well-formed target list.
    assert.ok(targets.ok && Array.isArray(targets.data), JSON.stringify(targets));
    assert.deepEqual(calls.map((c) => c.operation).sort(), ["alerts", "labels", "metadata", "rules", "targets"]);
  });

  it("returns a typed http error carrying Prometheus's message for bad PromQL", async () => {
    const calls: ToolCallRecord[] = [];
    const client = new PrometheusClient({ baseUrl: prom.url, onCall: (r) => calls.push(r) });

    const res = await client.queryRange("sum by (service (rate(x[1m]))", scenario.start, scenario.end, 60_000);

    assert.equal(res.ok, false);
    assert.ok(!res.ok);
    assert.equal(res.error.kind, "http");
    assert.equal(res.error.backend, "prometheus");
    assert.match(res.error.message, /HTTP 400/);
    assert.match(res.error.message, /bad_data: .*parse error/);
    assert.equal(calls.length, 1);
    assert.match(calls[0]?.error ?? "", /^http: /);
  });

  it("refuses a response above maxBytes with a typed error and a truncated record", async () => {
    const calls: ToolCallRecord[] = [];
    const client = new PrometheusClient({ baseUrl: prom.url, maxBytes: 4_096, onCall: (r) => calls.push(r) });

    const res = await client.queryRange("http_request_duration_seconds_bucket", scenario.start, scenario.end, 15_000);

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "denied");
    assert.match(res.error.message, /4096-byte cap/);
    assert.equal(calls[0]?.truncated, true);
    assert.ok((calls[0]?.bytes ?? 0) > 4_096);
  });

  it("keeps at most maxSeries series and marks the result truncated", async () => {
    const client = new PrometheusClient({ baseUrl: prom.url, maxSeries: 2 });

    const res = await client.queryRange("http_request_duration_seconds_bucket", scenario.start, scenario.end, 60_000);

    assert.ok(res.ok);
    assert.equal(res.truncated, true);
    assert.equal(res.data.series.length, 2);
  });

  it("records every call with operation, query, range, bytes and rows", async () => {
    const calls: ToolCallRecord[] = [];
    const client = new PrometheusClient({ baseUrl: prom.url, onCall: (r) => calls.push(r) });

    await client.queryRange("up", scenario.start, scenario.end, 60_000);
    await client.query('http_requests_total{service="cart"}', scenario.end);
    await client.labelValues("status");
    await client.series(['http_requests_total{service="frontend"}'], scenario.start, scenario.end);

    assert.deepEqual(
      calls.map((c) => [c.backend, c.operation, c.query]),
      [
        ["prometheus", "query_range", "up"],
        ["prometheus", "query", 'http_requests_total{service="cart"}'],
        ["prometheus", "label_values", "status"],
        ["prometheus", "series", 'http_requests_total{service="frontend"}'],
      ],
    );
    assert.deepEqual(calls[0]?.range, { from: scenario.start, to: scenario.end });
    assert.deepEqual(
      calls.map((c) => c.rows),
      [0, 1, 2, 2],
    );
    for (const c of calls) {
      assert.ok(c.bytes > 0);
      assert.equal(c.error, undefined);
      assert.equal(c.cacheHit, false);
      assert.ok(c.durationMs >= 0 && c.durationMs < 5_000);
    }
  });
});

describe("tools/prometheus/client failure handling", () => {
  it("reports a closed port as a network error", async () => {
    const port = await freePort();
    const calls: ToolCallRecord[] = [];
    const client = new PrometheusClient({ baseUrl: `http://127.0.0.1:${port}`, onCall: (r) => calls.push(r) });

    const res = await client.query("up", Date.now());

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "network");
    assert.match(res.error.message, /ECONNREFUSED/);
    assert.match(calls[0]?.error ?? "", /^network: /);
  });

  it("gives up with a timeout error when the server does not answer in time", async () => {
    const server = await startRecordingServer(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      res.end(envelope({ resultType: "vector", result: [] }));
    });
    const client = new PrometheusClient({ baseUrl: server.url, timeoutMs: 300 });

    const started = Date.now();
    const res = await client.query("up", Date.now());
    const elapsed = Date.now() - started;
    await server.stop();

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "timeout");
    assert.ok(elapsed >= 250 && elapsed < 1_500, `took ${elapsed} ms`);
    assert.equal(server.requests.length, 1, "a timeout is not retried");
  });

  it("retries a 429 after Retry-After and returns the next answer", async () => {
    const server = await startRecordingServer((_req, res) => {
      if (server.requests.length === 1) {
        res.writeHead(429, { "retry-after": "0.2" });
        res.end("slow down");
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(envelope({ resultType: "vector", result: [{ metric: { service: "a" }, value: [1700000000, "1"] }] }));
    });
    const calls: ToolCallRecord[] = [];
    const client = new PrometheusClient({ baseUrl: server.url, onCall: (r) => calls.push(r) });

    const res = await client.query("up", Date.now());
    await server.stop();

    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(res.data.series, [{ metric: { service: "a" }, points: [[1700000000000, 1]] }]);
    assert.equal(server.requests.length, 2);
    const gap = (server.requests[1]?.receivedAt ?? 0) - (server.requests[0]?.receivedAt ?? 0);
    assert.ok(gap >= 180, `retried after ${gap} ms, before Retry-After`);
    assert.equal(calls.length, 1, "one record per call, not per attempt");
    assert.equal(calls[0]?.error, undefined);
  });

  it("caps a long Retry-After and reports the last 5xx once retries are spent", async () => {
    const server = await startRecordingServer((_req, res) => {
      res.writeHead(503, { "retry-after": "30", "content-type": "application/json" });
      res.end(JSON.stringify({ status: "error", errorType: "unavailable", error: "too many queries" }));
    });
    const client = new PrometheusClient({ baseUrl: server.url, retries: 2, maxRetryAfterMs: 100 });

    const started = Date.now();
    const res = await client.query("up", Date.now());
    const elapsed = Date.now() - started;
    await server.stop();

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "http");
    assert.match(res.error.message, /HTTP 503 .*unavailable: too many queries/);
    assert.equal(server.requests.length, 3);
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
  });

  it("does not retry a 4xx other than 429", async () => {
    const server = await startRecordingServer((_req, res) => {
      res.writeHead(422, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "error", errorType: "execution", error: "many-to-many matching not allowed" }));
    });
    const client = new PrometheusClient({ baseUrl: server.url });

    const res = await client.query("a / b", Date.now());
    await server.stop();

    assert.ok(!res.ok);
    assert.equal(res.error.kind, "http");
    assert.match(res.error.message, /execution: many-to-many/);
    assert.equal(server.requests.length, 1);
  });

  it("reports an answer that is not a Prometheus envelope as a parse error", async () => {
    const server = await startRecordingServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end("<html>login</html>");
    });
    const wrongShape = await startRecordingServer((_req, res) => {
      res.end(envelope({ resultType: "matrix", result: [{ metric: {}, values: [["x", 1]] }] }));
    });

    const html = await new PrometheusClient({ baseUrl: server.url }).query("up", Date.now());
    const bad = await new PrometheusClient({ baseUrl: wrongShape.url }).queryRange("up", 0, 60_000, 15_000);
    await server.stop();
    await wrongShape.stop();

    assert.ok(!html.ok && !bad.ok);
    assert.equal(html.error.kind, "parse");
    assert.equal(bad.error.kind, "parse");
    assert.match(bad.error.message, /query_range/);
  });

  it("parses NaN and infinite sample values", async () => {
    const server = await startRecordingServer((_req, res) => {
      res.end(
        envelope({
          resultType: "matrix",
          result: [
            {
              metric: { service: "a" },
              values: [
                [1, "NaN"],
                [2, "+Inf"],
                [3, "-Inf"],
                [4, "0.5"],
              ],
            },
          ],
        }),
      );
    });

    const res = await new PrometheusClient({ baseUrl: server.url }).queryRange("x", 0, 4_000, 1_000);
    await server.stop();

    assert.ok(res.ok);
    assert.deepEqual(res.data.series[0]?.points, [
      [1000, Number.NaN],
      [2000, Number.POSITIVE_INFINITY],
      [3000, Number.NEGATIVE_INFINITY],
      [4000, 0.5],
    ]);
  });
});

describe("tools/prometheus/client is read-only", () => {
  it("only issues GET/POST to the query endpoints, POSTing long PromQL as a form", async () => {
    const server = await startRecordingServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.path.endsWith("/values")) return void res.end(envelope(["a"]));
      if (req.path.endsWith("/series")) return void res.end(envelope([{ __name__: "up" }]));
      res.end(envelope({ resultType: "matrix", result: [] }));
    });
    const client = new PrometheusClient({ baseUrl: `${server.url}/prometheus/`, tenant: "team-a", bearerToken: "t0k" });
    const longQuery = `sum(${Array.from({ length: 200 }, (_, i) => `rate(metric_${i}[5m])`).join(" + ")})`;

    await client.queryRange("up", 0, 60_000, 15_000);
    await client.queryRange(longQuery, 0, 60_000, 15_000);
    await client.query("up", 60_000);
    await client.labelValues("job");
    await client.series(["up", "process_start_time_seconds"], 0, 60_000);
    const traversal = await client.labelValues("../admin/tsdb/delete_series?x");
    await server.stop();

    assert.ok(!traversal.ok);
    assert.equal(traversal.error.kind, "denied");
    assert.equal(server.requests.length, 5, "the invalid label name never reaches the server");
    for (const req of server.requests) {
      assert.ok(req.method === "GET" || req.method === "POST", `${req.method} ${req.path}`);
      assert.match(req.path.replace(/^\/prometheus/, ""), READ_PATHS);
      assert.ok(req.path.startsWith("/prometheus/api/v1/"), "keeps the base URL prefix");
      assert.equal(req.headers["x-scope-orgid"], "team-a");
      assert.equal(req.headers.authorization, "Bearer t0k");
    }
    const post = server.requests[1];
    assert.equal(post?.method, "POST");
    assert.equal(post?.headers["content-type"], "application/x-www-form-urlencoded");
    assert.equal(new URLSearchParams(post?.body).get("query"), longQuery);
    assert.equal(server.requests[0]?.method, "GET");
    assert.equal(server.requests[0]?.query.get("step"), "15");
    assert.deepEqual(server.requests[4]?.query.getAll("match[]"), ["up", "process_start_time_seconds"]);
  });

  it("sends basic auth when configured", async () => {
    const server = await startRecordingServer((_req, res) => res.end(envelope(["a"])));
    const client = new PrometheusClient({ baseUrl: server.url, basicAuth: { username: "vigil", password: "s3cret" } });

    await client.labelValues("job");
    await server.stop();

    assert.equal(server.requests[0]?.headers.authorization, `Basic ${Buffer.from("vigil:s3cret").toString("base64")}`);
  });
});
