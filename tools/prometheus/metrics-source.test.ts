import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningProcess, startPrometheus, writeOpenMetrics } from "../../test/harness/prometheus.ts";
import type { MetricSeries, ToolCallRecord } from "../interfaces.ts";
import { buildShopScenario, type ShopScenario } from "./__fixtures__/shop-scenario.ts";
import { PrometheusClient } from "./client.ts";
import { PrometheusMetricsSource } from "./metrics-source.ts";
import {
  defaultSignalCatalog,
  loadSignalCatalog,
  renderSignalQuery,
  type SignalCatalog,
  withServiceLabel,
} from "./signal-catalog.ts";

const STEP_MS = 60_000;

function byService(series: MetricSeries[]): Record<string, MetricSeries> {
  return Object.fromEntries(series.map((s) => [s.labels.service, s]));
}

function lastValue(s: MetricSeries | undefined): number | null | undefined {
  return s?.points.at(-1)?.[1];
}

function near(actual: number | null | undefined, expected: number, tolerance = 1e-6): boolean {
  return typeof actual === "number" && Math.abs(actual - expected) <= tolerance;
}

describe("tools/prometheus/metrics-source against a real Prometheus", () => {
  let prom: RunningProcess;
  let scenario: ShopScenario;
  let range: { from: number; to: number };

  before(async () => {
    scenario = buildShopScenario(Date.now());
    range = { from: scenario.start, to: scenario.end };
    prom = await startPrometheus({ openMetrics: writeOpenMetrics(scenario.series) });
  });

  after(async () => {
    await prom?.stop();
  });

  function source(
    options: { catalog?: SignalCatalog; now?: number; calls?: ToolCallRecord[]; discover?: boolean } = {},
  ) {
    const client = new PrometheusClient({ baseUrl: prom.url, onCall: (r) => options.calls?.push(r) });
    return new PrometheusMetricsSource({
      client,
      catalog: options.catalog,
      now: options.now ?? Date.now(),
      discover: options.discover,
    });
  }

  it("maps the default error-rate conventions to one series per service, PromQL as ref", async () => {
    const calls: ToolCallRecord[] = [];

    const res = await source({ calls }).querySignal("error_rate", range, STEP_MS);

    assert.ok(res.ok, JSON.stringify(res));
    assert.equal(res.truncated, false);
    const series = byService(res.data);
    assert.deepEqual(Object.keys(series).sort(), ["cart", "frontend", "payment"]);
    assert.ok(near(lastValue(series.frontend), 0.01), `frontend ${lastValue(series.frontend)}`);
    assert.ok(near(lastValue(series.cart), 0), "a service without 5xx series still gets a 0 ratio");
    assert.ok(near(lastValue(series.payment), 0.3), `payment ${lastValue(series.payment)}`);
    assert.ok(near(series.payment?.points[5]?.[1], 0.01), "payment is healthy before it degrades");
    for (const s of res.data) {
      assert.equal(s.kind, "error_rate");
      assert.deepEqual(Object.keys(s.labels), ["service"]);
      assert.ok(
        calls.some((c) => c.query === s.ref),
        "ref is the exact PromQL that was run",
      );
      assert.match(s.ref, /\[75s\]/, "the rate window was substituted");
      assert.ok(s.points.every(([t]) => t >= range.from && t <= range.to));
    }
    assert.equal(series.payment?.name, "http_server_request_duration_seconds:error_ratio");
    assert.equal(series.frontend?.name, "http_requests_total:error_ratio");
  });

  it("a series ref reopens the same data", async () => {
    const res = await source().querySignal("latency_p99", range, STEP_MS);
    assert.ok(res.ok);
    const payment = byService(res.data).payment;
    assert.ok(payment);

    const again = await new PrometheusClient({ baseUrl: prom.url }).queryRange(
      payment.ref,
      range.from,
      range.to,
      STEP_MS,
    );

    assert.ok(again.ok);
    assert.deepEqual(again.data.series[0]?.points, payment.points);
    assert.ok(near(lastValue(payment), 0.95, 1e-3), `p99 degraded to ${lastValue(payment)}`);
    assert.ok(near(payment.points[5]?.[1], 0.22, 1e-3), `p99 before ${payment.points[5]?.[1]}`);
  });

  it("derives the service from the container label and ignores the pause container", async () => {
    const res = await source().querySignal("cpu", range, STEP_MS);

    assert.ok(res.ok);
    const series = byService(res.data);
    assert.deepEqual(Object.keys(series).sort(), ["cart", "frontend", "payment"]);
    assert.ok(near(lastValue(series.payment), 0.9), `payment cpu ${lastValue(series.payment)}`);
    assert.ok(near(lastValue(series.cart), 0.2));
  });

  it("every default catalog query is valid PromQL on a real Prometheus", async () => {
    const calls: ToolCallRecord[] = [];
    const src = source({ calls, discover: false });

    for (const kind of await src.kinds()) {
      const res = await src.querySignal(kind, range, STEP_MS);
      assert.ok(res.ok, `${kind}: ${JSON.stringify(res)}`);
      assert.equal(res.truncated, false, kind);
    }

    assert.equal(calls.length, defaultSignalCatalog.length);
    assert.deepEqual(
      calls.filter((c) => c.error),
      [],
    );
  });

  it("never returns points after the investigation clock", async () => {
    const now = scenario.degradeAt;

    const res = await source({ now }).querySignal("error_rate", range, STEP_MS);

    assert.ok(res.ok);
    const payment = byService(res.data).payment;
    assert.ok(payment && payment.points.length > 0);
    assert.ok(
      res.data.every((s) => s.points.every(([t]) => t <= now)),
      "a point after now leaked",
    );
    assert.ok(
      payment.points.every(([, v]) => near(v, 0.01)),
      "the degradation after now is invisible",
    );
  });

  it("returns nothing when the whole range is after the clock", async () => {
    const calls: ToolCallRecord[] = [];

    const res = await source({ now: range.from - 1, calls }).querySignal("error_rate", range, STEP_MS);

    assert.deepEqual(res, { ok: true, data: [], truncated: false });
    assert.equal(calls.length, 0);
  });

  it("discovers metrics by name when the catalog's conventions find nothing for a kind", async () => {
    const calls: ToolCallRecord[] = [];
    // A catalog whose only latency convention matches no metric here: discovery must find the real ones.
    const catalog: SignalCatalog = [{ kind: "latency_p90", query: "absent_metric_seconds" }];

    const res = await source({ calls, catalog }).querySignal("latency_p90", range, STEP_MS);

    assert.ok(res.ok, JSON.stringify(res));
    assert.ok(calls.some((c) => c.operation === "label_values" && c.query === "__name__"));
    const services = new Set(res.data.map((s) => s.labels.service));
    assert.ok(services.has("payment") || services.has("frontend"), `discovered services: ${[...services]}`);
    assert.ok(res.data.every((s) => /histogram_quantile\(0\.9/.test(s.ref)));
  });

  it("does not discover when disabled, and never for a range after the clock", async () => {
    const calls: ToolCallRecord[] = [];
    const catalog: SignalCatalog = [{ kind: "latency_p90", query: "absent_metric_seconds" }];

    const off = await source({ calls, catalog, discover: false }).querySignal("latency_p90", range, STEP_MS);

    assert.deepEqual(off.ok && off.data, []);
    assert.ok(!calls.some((c) => c.operation === "label_values"));
  });

  it("uses a custom catalog: serviceLabel, name, kinds and first-entry-wins merging", async () => {
    const catalog: SignalCatalog = [
      {
        kind: "cpu",
        name: "cpu_by_container",
        serviceLabel: "container",
        query: 'sum by (container) (rate(container_cpu_usage_seconds_total{container!="POD"}[$range]))',
      },
      // Same services again under another convention: dropped, the first entry already covers them.
      {
        kind: "cpu",
        query: `sum by (service) (${withServiceLabel("container_memory_working_set_bytes", ["container"])})`,
      },
      { kind: "request_rate", query: "sum by (service) (rate(http_requests_total[$range]))" },
    ];
    const src = source({ catalog });

    const kinds = await src.kinds();
    const cpu = await src.querySignal("cpu", range, STEP_MS);
    const mem = await src.querySignal("mem", range, STEP_MS);

    assert.deepEqual(kinds, ["cpu", "request_rate"]);
    assert.ok(cpu.ok && mem.ok);
    assert.deepEqual(mem.data, []);
    assert.equal(cpu.data.length, 3);
    for (const s of cpu.data) {
      assert.equal(s.name, "cpu_by_container");
      assert.equal(s.labels.service, s.labels.container);
      assert.ok(s.ref.startsWith("sum by (container)"));
      assert.ok((lastValue(s) ?? 0) < 1, "the rate query won, not the memory one");
    }
  });

  it("maps NaN and infinite values to null gaps", async () => {
    const catalog: SignalCatalog = [
      { kind: "other", query: 'sum by (service) (http_requests_total{service="frontend"}) * 0 / 0' },
      { kind: "other", query: 'sum by (service) (http_requests_total{service="cart"}) / 0' },
    ];

    const res = await source({ catalog }).querySignal("other", range, STEP_MS);

    assert.ok(res.ok);
    assert.equal(res.data.length, 2);
    for (const s of res.data)
      assert.ok(
        s.points.every(([, v]) => v === null),
        s.labels.service,
      );
  });

  it("keeps the working conventions when one fails, and fails with a typed error when all do", async () => {
    const broken = { kind: "request_rate" as const, query: "sum by (service (" };
    const good = { kind: "request_rate" as const, query: "sum by (service) (rate(http_requests_total[$range]))" };

    const partial = await source({ catalog: [broken, good] }).querySignal("request_rate", range, STEP_MS);
    const failed = await source({ catalog: [broken] }).querySignal("request_rate", range, STEP_MS);

    assert.ok(partial.ok);
    assert.equal(partial.truncated, true, "a failed convention makes the answer incomplete");
    assert.deepEqual(partial.data.map((s) => s.labels.service).sort(), ["cart", "frontend"]);
    assert.ok(!failed.ok);
    assert.equal(failed.error.kind, "http");
    assert.match(failed.error.message, /parse error/);
  });
});

describe("tools/prometheus/signal-catalog", () => {
  it("substitutes $range and $step and leaves label_replace's $1 alone", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${step}` is the catalog's placeholder, not a template
    const query = renderSignalQuery('label_replace(rate(x[$range]), "s", "$1", "c", "(.+)")[1h:${step}]', 60_000);

    assert.equal(query, 'label_replace(rate(x[75s]), "s", "$1", "c", "(.+)")[1h:60s]');
    assert.equal(renderSignalQuery("rate(x[$range])", 15_000, 30_000), "rate(x[120s])");
  });

  it("gives an existing service label priority over job", () => {
    const expr = withServiceLabel("up", ["service", "job"]);

    assert.equal(
      expr,
      'label_replace(label_replace(label_replace(up, "vigil_original_service", "$1", "service", "(.+)"), "service", "$1", "job", "(?:.*/)?(.+)"), "service", "$1", "vigil_original_service", "(.+)")',
    );
  });

  it("loads an override file, alone or in front of the defaults, and rejects a bad one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-catalog-"));
    const entry = { kind: "cpu", query: "sum by (service) (rate(cpu[$range]))" };
    writeFileSync(join(dir, "only.json"), JSON.stringify([entry]));
    writeFileSync(join(dir, "extend.json"), JSON.stringify({ includeDefaults: true, entries: [entry] }));
    writeFileSync(join(dir, "bad.json"), JSON.stringify([{ kind: "cpuu", query: "x" }]));

    try {
      assert.deepEqual(await loadSignalCatalog(join(dir, "only.json")), [entry]);
      const extended = await loadSignalCatalog(join(dir, "extend.json"));
      assert.deepEqual(extended[0], entry);
      assert.equal(extended.length, defaultSignalCatalog.length + 1);
      await assert.rejects(loadSignalCatalog(join(dir, "bad.json")), /invalid signal catalog .*bad\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
