import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  findBinary,
  postAlerts,
  type RunningProcess,
  startAlertmanager,
  startPrometheus,
  writeOpenMetrics,
} from "./prometheus.ts";
import { type RecordingServer, startRecordingServer } from "./recording-server.ts";

interface WebhookPayload {
  receiver: string;
  status: string;
  alerts: Array<{ status: string; labels: Record<string, string>; fingerprint: string; startsAt: string }>;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

function deliveredAlert(webhook: RecordingServer, alertname: string) {
  for (const req of webhook.requests) {
    const payload = JSON.parse(req.body) as WebhookPayload;
    const alert = payload.alerts.find((a) => a.labels.alertname === alertname);
    if (alert) return { payload, alert, receivedAt: req.receivedAt };
  }
  return undefined;
}

describe("test/harness/prometheus writeOpenMetrics", () => {
  it("groups families, writes seconds, escapes labels and ends with # EOF", () => {
    const text = writeOpenMetrics([
      {
        name: "a",
        labels: { service: "x" },
        points: [
          [2_000, 2],
          [1_500, 1],
        ],
      },
      { name: "b", labels: {}, points: [[1_000, Number.NaN]] },
      { name: "a", labels: { service: 'y"\\' }, points: [[1_000, Number.POSITIVE_INFINITY]] },
    ]);

    assert.equal(
      text,
      [
        "# TYPE a gauge",
        'a{service="x"} 1 1.5',
        'a{service="x"} 2 2',
        'a{service="y\\"\\\\"} +Inf 1',
        "# TYPE b gauge",
        "b NaN 1",
        "# EOF",
        "",
      ].join("\n"),
    );
  });

  it("findBinary finds installed binaries and returns null for missing ones", () => {
    assert.match(
      findBinary("prometheus") ?? "",
      /\/prometheus$/,
      "prometheus must be installed (apt-get install prometheus)",
    );
    assert.match(findBinary("promtool") ?? "", /\/promtool$/);
    assert.match(findBinary("prometheus-alertmanager") ?? "", /\/prometheus-alertmanager$/);
    assert.equal(findBinary("vigil-no-such-binary"), null);
  });
});

describe("test/harness/prometheus with the real binaries", () => {
  let webhook: RecordingServer;
  let am: RunningProcess;
  let prom: RunningProcess;

  before(async () => {
    webhook = await startRecordingServer((_req, res) => res.end("ok"));
    am = await startAlertmanager({ webhookUrl: `${webhook.url}/alerts` });
    const now = Date.now();
    prom = await startPrometheus({
      alertmanagerUrl: am.url,
      openMetrics: writeOpenMetrics([
        {
          name: "queue_depth",
          labels: { service: "checkout" },
          points: Array.from({ length: 20 }, (_, i): [number, number] => [now - 600_000 + i * 30_000, i]),
        },
      ]),
      rulesYaml: [
        "groups:",
        "  - name: harness",
        "    rules:",
        "      - alert: HarnessAlwaysFiring",
        "        expr: vector(1)",
        "        labels: { service: checkout, severity: page }",
      ].join("\n"),
    });
  });

  after(async () => {
    await prom?.stop();
    await am?.stop();
    await webhook?.stop();
  });

  it("serves backfilled samples right after start", async () => {
    const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent("max_over_time(queue_depth[1h])")}`);
    const body = (await res.json()) as {
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };

    assert.equal(body.data.result.length, 1);
    assert.equal(body.data.result[0]?.metric.service, "checkout");
    assert.equal(body.data.result[0]?.value[1], "19");
  });

  it("Alertmanager delivers a POSTed alert to the webhook within a few seconds", async () => {
    const posted = Date.now();

    await postAlerts(am.url, [
      { labels: { alertname: "HarnessPosted", service: "cart" }, annotations: { summary: "posted by the test" } },
    ]);
    const delivery = await waitFor(() => deliveredAlert(webhook, "HarnessPosted"), 5_000);

    assert.ok(delivery, `no webhook delivery; alertmanager said:\n${am.logs()}`);
    assert.ok(delivery.receivedAt - posted < 5_000);
    assert.equal(delivery.payload.status, "firing");
    assert.equal(delivery.payload.receiver, "webhook");
    assert.equal(delivery.alert.labels.service, "cart");
    assert.match(delivery.alert.fingerprint, /^[0-9a-f]{16}$/);
    assert.equal(webhook.requests.find((r) => r.body.includes("HarnessPosted"))?.path, "/alerts");
  });

  it("a Prometheus rule reaches the webhook through Alertmanager", async () => {
    const delivery = await waitFor(() => deliveredAlert(webhook, "HarnessAlwaysFiring"), 15_000);

    assert.ok(delivery, `no rule alert delivered; prometheus said:\n${prom.logs()}`);
    assert.equal(delivery.alert.labels.severity, "page");
  });

  it("stop() ends the process and removes its temp directory", async () => {
    const extra = await startPrometheus();
    assert.ok(existsSync(extra.dir));

    await extra.stop();
    await extra.stop();

    assert.equal(existsSync(extra.dir), false);
    await assert.rejects(fetch(`${extra.url}/-/ready`, { signal: AbortSignal.timeout(1_000) }));
  });
});
