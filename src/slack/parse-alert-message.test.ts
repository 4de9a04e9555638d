import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fingerprintOf } from "../intake/normalize-alert.ts";
import { renderAlertMessage } from "./blocks.ts";
import { alertFromSlackMessage } from "./parse-alert-message.ts";
import { testAlert } from "./test-fixtures.ts";

/** Alertmanager's default slack_configs: everything in one attachment, title from __subject, empty text. */
const ALERTMANAGER_DEFAULT = {
  type: "message",
  subtype: "bot_message",
  bot_id: "B0ALERTMGR",
  username: "Alertmanager",
  ts: "1714564805.000100",
  text: "",
  attachments: [
    {
      id: 1,
      color: "a30200",
      fallback:
        "[FIRING:1] KubePodCrashLooping (api-7f9c shop critical) | http://alertmanager:9093/#/alerts?receiver=slack",
      title: "[FIRING:1] KubePodCrashLooping (api-7f9c shop critical)",
      title_link: "http://alertmanager:9093/#/alerts?receiver=slack",
      text: "",
      footer: "",
      mrkdwn_in: ["fallback", "pretext", "text"],
    },
  ],
};

/** The widespread "*Alert:* / *Details:*" template (prometheus community, many blog posts). */
const DETAILS_TEMPLATE = {
  type: "message",
  subtype: "bot_message",
  ts: "1714564900.000200",
  text: "",
  attachments: [
    {
      color: "danger",
      title: "[FIRING:1] HighLatency checkout (critical)",
      title_link: "http://alertmanager:9093/#/alerts?receiver=slack-sre",
      text:
        "*Alert:* High request latency on checkout - `critical`\n" +
        "*Description:* p90 above 500ms for 10 minutes\n" +
        "*Graph:* <http://prometheus:9090/graph?g0.expr=histogram_quantile%280.9%29|:chart_with_upwards_trend:> *Runbook:* <https://runbooks.example/latency|:spiral_note_pad:>\n" +
        "*Details:*\n" +
        "  • *alertname:* `HighLatency`\n" +
        "  • *namespace:* `shop`\n" +
        "  • *service:* `checkout`\n" +
        "  • *severity:* `critical`\n",
      fallback: "[FIRING:1] HighLatency checkout (critical) | http://alertmanager:9093",
      mrkdwn_in: ["text"],
    },
  ],
};

/** Grafana alerting's default Slack message (title + __text_alert_list body). */
const GRAFANA_DEFAULT = {
  type: "message",
  ts: "1714565000.000300",
  text: "",
  attachments: [
    {
      title: "[FIRING:1] DiskAlmostFull infra (node-3:9100 /var)",
      title_link: "https://grafana.example/alerting/list",
      text:
        "**Firing**\n\nValue: B=0.93\nLabels:\n - alertname = DiskAlmostFull\n - grafana_folder = infra\n" +
        " - instance = node-3:9100\n - mountpoint = /var\nAnnotations:\n - summary = Disk /var on node-3 is 93% full\n" +
        "Source: https://grafana.example/alerting/grafana/abc/view\n" +
        "Silence: https://grafana.example/alerting/silence/new?alertmanager=grafana&amp;matcher=alertname%3DDiskAlmostFull\n" +
        "Dashboard: https://grafana.example/d/xyz\n",
      footer: "Grafana v10.4.1",
    },
  ],
};

describe("slack/parse-alert-message alertFromSlackMessage", () => {
  it("reads Alertmanager's default title-only notification", () => {
    const alert = alertFromSlackMessage(ALERTMANAGER_DEFAULT);

    assert.ok(alert);
    assert.equal(alert.alertname, "KubePodCrashLooping");
    assert.equal(alert.status, "firing");
    assert.deepEqual(alert.labels, { alertname: "KubePodCrashLooping" });
    assert.equal(alert.startsAt, 1714564805000, "falls back to the message ts");
    assert.equal(alert.fingerprint, fingerprintOf({ alertname: "KubePodCrashLooping" }));
    assert.match(alert.fingerprint, /^[0-9a-f]{16}$/);
  });

  it("reads the *Alert:* / *Details:* template with labels, description and graph link", () => {
    const alert = alertFromSlackMessage(DETAILS_TEMPLATE);

    assert.ok(alert);
    assert.equal(alert.alertname, "HighLatency");
    assert.deepEqual(alert.labels, {
      alertname: "HighLatency",
      namespace: "shop",
      service: "checkout",
      severity: "critical",
    });
    assert.equal(alert.service, "checkout");
    assert.equal(alert.annotations.description, "p90 above 500ms for 10 minutes");
    assert.equal(alert.annotations.summary, "High request latency on checkout");
    assert.equal(alert.generatorURL, "http://prometheus:9090/graph?g0.expr=histogram_quantile%280.9%29");
  });

  it("reads Grafana's Labels/Annotations lists and Source link", () => {
    const alert = alertFromSlackMessage(GRAFANA_DEFAULT);

    assert.ok(alert);
    assert.equal(alert.alertname, "DiskAlmostFull");
    assert.deepEqual(alert.labels, {
      alertname: "DiskAlmostFull",
      grafana_folder: "infra",
      instance: "node-3:9100",
      mountpoint: "/var",
    });
    assert.equal(alert.annotations.summary, "Disk /var on node-3 is 93% full");
    assert.equal(alert.annotations.dashboard_url, "https://grafana.example/d/xyz");
    assert.equal(alert.generatorURL, "https://grafana.example/alerting/grafana/abc/view");
  });

  it("reads plain `alertname: X` lines and a start time", () => {
    const alert = alertFromSlackMessage({
      ts: "1714566000.000100",
      text: "Alert firing!\nalertname: PodRestarting\nnamespace: payments\npod: payments-api-0\nStarts at: 2024-05-01 12:00:00.123 +0000 UTC",
    });

    assert.ok(alert);
    assert.equal(alert.alertname, "PodRestarting");
    assert.deepEqual(alert.labels, { alertname: "PodRestarting", namespace: "payments", pod: "payments-api-0" });
    assert.equal(alert.startsAt, Date.parse("2024-05-01T12:00:00.123Z"));
  });

  it("reads attachment fields, including a Labels field", () => {
    const alert = alertFromSlackMessage({
      ts: "1714566000.000100",
      attachments: [
        {
          title: "Pod restarting",
          text: "payments-api-0 restarted 5 times",
          fields: [
            { title: "alertname", value: "PodCrashLooping", short: true },
            { title: "Severity", value: "warning", short: true },
            { title: "Labels", value: "namespace=payments\npod=payments-api-0" },
            { title: "Status", value: "resolved" },
          ],
        },
      ],
    });

    assert.ok(alert);
    assert.equal(alert.alertname, "PodCrashLooping");
    assert.equal(alert.status, "resolved");
    assert.deepEqual(alert.labels, {
      alertname: "PodCrashLooping",
      severity: "warning",
      namespace: "payments",
      pod: "payments-api-0",
    });
  });

  it('reads `- service = frontend` bullets and a {label="set"}', () => {
    const alert = alertFromSlackMessage({
      ts: "1714566000.000100",
      text: 'Alert: ErrorBudgetBurn\n- service = frontend\nLabels {cluster="prod-eu", team="web"}',
    });

    assert.ok(alert);
    assert.equal(alert.alertname, "ErrorBudgetBurn");
    assert.deepEqual(alert.labels, {
      alertname: "ErrorBudgetBurn",
      service: "frontend",
      cluster: "prod-eu",
      team: "web",
    });
    assert.equal(alert.service, "frontend");
  });

  it("recovers Vigil's own alert message from its metadata, fingerprint included", () => {
    const original = testAlert();
    const posted = renderAlertMessage(original);

    const alert = alertFromSlackMessage({ ts: "1714567000.000100", ...posted });

    assert.ok(alert);
    assert.equal(alert.fingerprint, original.fingerprint);
    assert.equal(alert.alertname, original.alertname);
    assert.deepEqual(alert.labels, original.labels);
    assert.equal(alert.startsAt, original.startsAt);
    assert.equal(alert.service, "checkout");
  });

  it("still recovers Vigil's alert message from its blocks when Slack omitted the metadata", () => {
    const { metadata: _dropped, ...posted } = renderAlertMessage(testAlert());

    const alert = alertFromSlackMessage({ ts: "1714567000.000100", ...posted });

    assert.ok(alert);
    assert.equal(alert.alertname, "HighLatency");
    assert.equal(alert.labels.service, "checkout");
    assert.equal(alert.labels.namespace, "shop");
  });

  it("reads a mention that names the alert inline", () => {
    const alert = alertFromSlackMessage({
      type: "app_mention",
      ts: "1714567000.000100",
      text: "<@U0VIGIL> alertname=HighLatency service=checkout",
    });

    assert.ok(alert);
    assert.deepEqual(alert.labels, { alertname: "HighLatency", service: "checkout" });
  });

  it("gives the same fingerprint for the same alert whatever the label order", () => {
    const a = alertFromSlackMessage({ ts: "1", text: "alertname=X a=1 b=2" });
    const b = alertFromSlackMessage({ ts: "2", text: "b=2 alertname=X a=1" });

    assert.ok(a && b);
    assert.equal(a.fingerprint, b.fingerprint);
  });

  it("returns null for messages without an alert and for garbage, without throwing", () => {
    const hostile = `a=${"b=".repeat(5000)} c`;
    const inputs: unknown[] = [
      null,
      undefined,
      42,
      "[FIRING:1] NotAnObject",
      [],
      {},
      { text: "hey team, is anything on fire?" },
      { text: 42, attachments: "nope", blocks: { weird: true } },
      { attachments: [null, 3, { fields: [null, { title: 5 }] }], blocks: [null, { type: "rich_text", elements: 7 }] },
      { metadata: { event_type: "vigil_alert", event_payload: { alertname: "" } } },
      { text: hostile },
      { text: "x".repeat(1_000_000) },
    ];

    for (const input of inputs) assert.equal(alertFromSlackMessage(input), null, JSON.stringify(input)?.slice(0, 60));
  });

  it("parses a hostile long line quickly", () => {
    const started = Date.now();

    alertFromSlackMessage({ text: `${"a=b=".repeat(20_000)} c\n${'{x="'.repeat(20_000)}` });

    assert.ok(Date.now() - started < 1000, "no catastrophic backtracking");
  });
});
