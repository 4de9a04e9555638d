import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildShopScenario } from "../../tools/prometheus/__fixtures__/shop-scenario.ts";
import { appMentionEvent, sendSlackEvent } from "../fakes/slack-events.ts";
import { type FakeSlack, type FakeSlackCall, startFakeSlack } from "../fakes/slack-web-api.ts";
import { type DaemonProcess, startDaemon } from "../harness/daemon.ts";
import {
  postAlerts,
  type RunningProcess,
  startAlertmanager,
  startPrometheus,
  writeOpenMetrics,
} from "../harness/prometheus.ts";

const SIGNING_SECRET = "e2e-signing-secret";
const ALERT_CHANNEL = "C0ALERTS";

function blocksText(call: FakeSlackCall): string {
  return JSON.stringify(call.args.blocks ?? "") + String(call.args.text ?? "");
}

function isFinalSummary(call: FakeSlackCall): boolean {
  return (
    (call.method === "chat.update" || call.method === "chat.postMessage") &&
    JSON.stringify(call.args.blocks ?? "").includes("vigil_feedback_correct")
  );
}

/**
 * The whole chain with real parts: a real Prometheus backfilled with a scenario in which `payment` breaks, a real
 * Alertmanager delivering to the daemon's webhook, the daemon as a child process, and a fake Slack Web API that
 * records every call.
 */
describe("test/e2e/alertmanager-to-slack: an alert becomes a threaded summary", () => {
  let prometheus: RunningProcess;
  let alertmanager: RunningProcess;
  let slack: FakeSlack;
  let daemon: DaemonProcess;
  const scenario = buildShopScenario(Date.now());

  before(async () => {
    prometheus = await startPrometheus({ openMetrics: writeOpenMetrics(scenario.series) });
    slack = await startFakeSlack();
    daemon = await startDaemon({
      PROMETHEUS_URL: prometheus.url,
      SLACK_BOT_TOKEN: "xoxb-e2e-token",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_CHANNEL: ALERT_CHANNEL,
      SLACK_API_URL: slack.url,
      VIGIL_BASELINE_MINUTES: "40",
      VIGIL_STEP_SECONDS: "60",
    });
    alertmanager = await startAlertmanager({ webhookUrl: `${daemon.url}/webhooks/alertmanager` });
  });

  after(async () => {
    await daemon?.stop();
    await alertmanager?.stop();
    await prometheus?.stop();
    await slack?.close();
  });

  it("posts the Alertmanager alert to the channel and the summary naming the broken service in its thread", async () => {
    await postAlerts(alertmanager.url, [
      {
        labels: { alertname: "FrontendErrorsHigh", service: "frontend", severity: "critical" },
        annotations: { summary: "frontend error ratio above 5%" },
        startsAt: new Date(scenario.degradeAt + 60_000).toISOString(),
      },
    ]);

    const alertMessage = await slack.waitFor(
      (c) => c.method === "chat.postMessage" && c.args.channel === ALERT_CHANNEL && !c.args.thread_ts,
      30_000,
    );
    const alertTs = String(alertMessage.response.ts);
    assert.match(blocksText(alertMessage), /FrontendErrorsHigh/);

    const summary = await slack.waitFor(isFinalSummary, 60_000);
    const threadTs =
      summary.method === "chat.update"
        ? slack.getMessage(ALERT_CHANNEL, String(summary.args.ts))?.thread_ts
        : summary.args.thread_ts;
    assert.equal(threadTs, alertTs, "the summary is in the alert message's thread");
    assert.match(
      String(summary.args.text),
      /likely cause: payment/,
      "the likely cause names the service the scenario broke",
    );
    const progress = slack.callsTo("chat.postMessage").filter((c) => c.args.thread_ts === alertTs);
    assert.equal(progress.length, 1, "one summary message in the thread, edited in place");
  });

  it("investigates an alert notification when @vigil is mentioned in its thread", async () => {
    const channel = "C0ONCALL";
    const parent = slack.seedMessage(channel, {
      user: "U0AMBOT",
      text: "[FIRING:1] CheckoutLatencyHigh (frontend critical)",
      attachments: [
        {
          title: "[FIRING:1] CheckoutLatencyHigh (frontend critical)",
          text: `*Alert:* CheckoutLatencyHigh - critical\n*Labels:*\n• alertname: CheckoutLatencyHigh\n• service: frontend\n• severity: critical\n*Starts at:* ${new Date(scenario.degradeAt + 60_000).toISOString()}`,
        },
      ],
    });
    const mention = appMentionEvent({ channel, ts: "1700009999.000100", threadTs: parent.ts, user: "U0ONCALL" });
    const before = slack.calls.length;

    const forged = await sendSlackEvent(`${daemon.url}/slack/events`, SIGNING_SECRET, mention, { badSignature: true });
    assert.equal(forged.status, 401);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(slack.calls.length, before, "a forged request does no work");

    const sent = await sendSlackEvent(`${daemon.url}/slack/events`, SIGNING_SECRET, mention);
    const replay = await sendSlackEvent(`${daemon.url}/slack/events`, SIGNING_SECRET, mention, { retryNum: 1 });
    assert.equal(sent.status, 200);
    assert.equal(replay.status, 200);

    const eyes = await slack.waitFor((c) => c.method === "reactions.add" && c.args.channel === channel, 10_000);
    assert.equal(eyes.args.name, "eyes");
    const summary = await slack.waitFor((c) => isFinalSummary(c) && c.args.channel === channel, 60_000);
    assert.match(String(summary.args.text), /likely cause: payment/);
    await new Promise((r) => setTimeout(r, 1000));
    const threadPosts = slack
      .callsTo("chat.postMessage")
      .filter((c) => c.args.channel === channel && c.args.thread_ts === parent.ts);
    assert.equal(threadPosts.length, 1, "the replayed event started no second investigation");
  });
});
