import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DaemonProcess, eventually, startDaemon } from "../harness/daemon.ts";

function payload(alerts: Array<Record<string, unknown>>) {
  return {
    version: "4",
    groupKey: '{}:{alertname="HighLatency"}',
    status: "firing",
    receiver: "vigil",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager.local",
    alerts,
  };
}

const firing = {
  status: "firing",
  labels: { alertname: "HighLatency", service: "checkout", severity: "critical" },
  annotations: { summary: "p90 latency above 2x baseline" },
  startsAt: new Date(Date.now() - 120_000).toISOString(),
  endsAt: "0001-01-01T00:00:00Z",
  generatorURL: "http://prometheus.local/graph",
  fingerprint: "e2e0000000000001",
};

async function post(
  url: string,
  body: string,
  headers: Record<string, string> = { "content-type": "application/json" },
) {
  const res = await fetch(`${url}/webhooks/alertmanager`, { method: "POST", body, headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("test/e2e/webhook-intake: the daemon's Alertmanager webhook", () => {
  let daemon: DaemonProcess;

  before(async () => {
    daemon = await startDaemon({ VIGIL_WEBHOOK_MAX_BYTES: "65536" });
  });
  after(async () => {
    await daemon?.stop();
  });

  it("persists, deduplicates and investigates a firing alert", async () => {
    const first = await post(daemon.url, JSON.stringify(payload([firing])));
    const resent = await post(daemon.url, JSON.stringify(payload([firing])));

    assert.equal(first.status, 202);
    const [accepted] = first.body.alerts as Array<{ status: string; investigationId: string }>;
    const [duplicate] = resent.body.alerts as Array<{ status: string; investigationId: string }>;
    assert.equal(accepted.status, "accepted");
    assert.equal(duplicate.status, "duplicate");
    assert.equal(duplicate.investigationId, accepted.investigationId);

    const done = await eventually(async () => {
      const res = await fetch(`${daemon.url}/api/investigations/${accepted.investigationId}`);
      const record = (await res.json()) as { status: string; result?: { abstained: boolean } };
      return record.status === "done" ? record : undefined;
    });
    // No metrics source is configured: the honest answer is "no conclusive cause".
    assert.equal(done.result?.abstained, true);
    const list = (await (await fetch(`${daemon.url}/api/investigations`)).json()) as { investigations: unknown[] };
    assert.equal(list.investigations.length, 1, "the re-sent alert started no second investigation");
  });

  it("answers malformed, wrong-typed and oversized bodies with a clear 4xx and keeps serving", async () => {
    const malformed = await post(daemon.url, "{not json");
    const wrongType = await post(daemon.url, JSON.stringify({ ...payload([firing]), alerts: "many" }));
    const badTime = await post(daemon.url, JSON.stringify(payload([{ ...firing, startsAt: "yesterday" }])));
    const huge = await post(
      daemon.url,
      JSON.stringify(payload([{ ...firing, annotations: { x: "a".repeat(200_000) } }])),
    );
    const notJson = await post(daemon.url, "a=b", { "content-type": "application/x-www-form-urlencoded" });

    assert.equal(malformed.status, 400);
    assert.match(String(malformed.body.error), /not valid JSON/);
    assert.equal(wrongType.status, 422);
    assert.match(JSON.stringify(wrongType.body.issues), /alerts/);
    assert.equal(badTime.status, 422);
    assert.match(JSON.stringify(badTime.body), /startsAt is not a valid time/);
    assert.equal(huge.status, 413);
    assert.equal(notJson.status, 415);

    const health = await fetch(`${daemon.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(daemon.child.exitCode, null);
  });

  it("serves readiness and its own metrics", async () => {
    const ready = await fetch(`${daemon.url}/readyz`);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();

    assert.equal(ready.status, 200);
    assert.match(
      metrics,
      /vigil_investigations_total\{outcome="abstained",alert_class="HighLatency\{service,severity\}"\} 1/,
    );
    assert.match(metrics, /# TYPE vigil_tool_call_duration_seconds histogram/);
    assert.match(metrics, /vigil_queue_oldest_job_age_seconds 0/);
    assert.match(metrics, /vigil_investigation_duration_seconds_count\{outcome="abstained"\} 1/);
    assert.match(metrics, /vigil_alerts_received_total\{source="alertmanager",result="duplicate"\} 1/);
    assert.match(metrics, /vigil_queue_depth/);
  });
});
