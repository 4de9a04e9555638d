import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { pino } from "pino";
import { type FakeSlack, startFakeSlack } from "../../test/fakes/slack-web-api.ts";
import { FEEDBACK_CORRECT_ACTION_ID } from "./blocks.ts";
import { createSlackNotifier, type SlackNotifier } from "./notifier.ts";
import { testAlert, testResult } from "./test-fixtures.ts";

const CHANNEL = "C0ALERTS";

describe("slack/notifier", () => {
  let slack: FakeSlack;
  let notifier: SlackNotifier;

  before(async () => {
    slack = await startFakeSlack();
    notifier = createSlackNotifier({
      token: "xoxb-test",
      slackApiUrl: slack.url,
      channel: CHANNEL,
      retryConfig: { retries: 0 },
      logger: pino({ level: "silent" }),
    });
  });

  after(async () => {
    await slack.close();
  });

  beforeEach(() => slack.clearCalls());

  it("posts the alert into the channel with vigil_alert metadata and the bot token", async () => {
    const alert = testAlert();

    const posted = await notifier.postAlert(alert);

    const [call] = slack.callsTo("chat.postMessage");
    assert.ok(call);
    assert.equal(call.token, "xoxb-test");
    assert.equal(call.args.channel, CHANNEL);
    assert.deepEqual(call.args.metadata, {
      event_type: "vigil_alert",
      event_payload: {
        fingerprint: alert.fingerprint,
        alertname: "HighLatency",
        status: "firing",
        labels: alert.labels,
        annotations: alert.annotations,
        startsAt: alert.startsAt,
        service: "checkout",
        generatorURL: alert.generatorURL,
      },
    });
    assert.ok(Array.isArray(call.args.blocks));
    assert.deepEqual(posted, { channel: CHANNEL, ts: call.response.ts });
  });

  it("reacts with eyes and shrugs off already_reacted", async () => {
    const message = slack.seedMessage(CHANNEL, { text: "alert", user: "U0BOT" });

    await notifier.acknowledge(CHANNEL, message.ts);
    await notifier.acknowledge(CHANNEL, message.ts);

    const calls = slack.callsTo("reactions.add");
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0]?.args, { channel: CHANNEL, timestamp: message.ts, name: "eyes" });
    assert.equal(calls[1]?.response.error, "already_reacted");
  });

  it("posts progress in the thread, updates it, then turns it into the summary with chat.update", async () => {
    const alert = testAlert();
    const { ts: threadTs } = await notifier.postAlert(alert);
    const thread = { channel: CHANNEL, threadTs };

    const progress = await notifier.postProgress(thread, alert, { strategiesDone: 0, strategiesTotal: 4 });
    await notifier.updateProgress(thread, progress.ts, alert, { strategiesDone: 2, strategiesTotal: 4 });
    const summary = await notifier.postOrUpdateSummary(thread, progress.ts, testResult(), "inv-9");

    const progressPost = slack.callsTo("chat.postMessage")[1];
    assert.equal(progressPost?.args.thread_ts, threadTs);
    const updates = slack.callsTo("chat.update");
    assert.equal(updates.length, 2);
    assert.match(JSON.stringify(updates[0]?.args.blocks), /2\/4 strategies done/);
    assert.equal(updates[1]?.args.ts, progress.ts);
    assert.equal(summary.ts, progress.ts);
    const stored = slack.getMessage(CHANNEL, progress.ts);
    const blocks = (stored?.blocks ?? []) as Array<{
      type: string;
      elements?: Array<{ action_id: string; value: string }>;
    }>;
    const buttons = blocks.find((b) => b.type === "actions")?.elements ?? [];
    assert.equal(buttons[0]?.action_id, FEEDBACK_CORRECT_ACTION_ID);
    assert.deepEqual(
      buttons.map((b) => b.value),
      ["inv-9", "inv-9", "inv-9"],
    );
    assert.equal(slack.callsTo("chat.postMessage").length, 2, "the summary did not add a message");
  });

  it("finds the progress message an earlier attempt posted in the thread, by the investigation id in its metadata", async () => {
    const alert = testAlert();
    const { ts: threadTs } = await notifier.postAlert(alert);
    const thread = { channel: CHANNEL, threadTs };
    const posted = await notifier.postProgress(thread, alert, { strategiesDone: 0, strategiesTotal: 0 }, "inv-41");

    const found = await notifier.findProgressMessage(thread, "inv-41");
    const other = await notifier.findProgressMessage(thread, "inv-42");

    assert.equal(found?.ts, posted.ts);
    assert.equal(other, undefined);
    const replies = slack.callsTo("conversations.replies").at(-1);
    assert.equal(String(replies?.args.include_all_metadata), "true", "Slack drops metadata unless asked for it");
  });

  it("posts the summary in the thread when there is no progress message", async () => {
    const { ts: threadTs } = await notifier.postAlert(testAlert());

    const summary = await notifier.postOrUpdateSummary(
      { channel: CHANNEL, threadTs },
      undefined,
      testResult(),
      "inv-10",
    );

    const call = slack.callsTo("chat.postMessage").at(-1);
    assert.equal(call?.args.thread_ts, threadTs);
    assert.equal(call?.response.ts, summary.ts);
    assert.equal(slack.callsTo("chat.update").length, 0);
  });

  it("posts the summary anew when the progress message was deleted", async () => {
    const { ts: threadTs } = await notifier.postAlert(testAlert());

    const summary = await notifier.postOrUpdateSummary(
      { channel: CHANNEL, threadTs },
      "1600000000.000001",
      testResult(),
      "inv-11",
    );

    assert.equal(slack.callsTo("chat.update")[0]?.response.error, "message_not_found");
    assert.equal(slack.callsTo("chat.postMessage").at(-1)?.response.ts, summary.ts);
  });

  it("waits out a 429 with Retry-After and still delivers", async () => {
    slack.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    const started = Date.now();

    const posted = await notifier.postAlert(testAlert());

    const elapsed = Date.now() - started;
    const calls = slack.callsTo("chat.postMessage");
    assert.equal(calls.length, 2);
    assert.equal(calls[0]?.status, 429);
    assert.ok(elapsed >= 950, `waited ${elapsed} ms`);
    assert.equal(calls[1]?.response.ts, posted.ts);
    assert.ok(slack.getMessage(CHANNEL, posted.ts));
  });

  it("retries a { ok: false, error: 'ratelimited' } answer", async () => {
    slack.failNext("chat.update", { error: "ratelimited" });
    const { ts } = await notifier.postAlert(testAlert());

    await notifier.updateProgress({ channel: CHANNEL, threadTs: ts }, ts, testAlert(), {
      strategiesDone: 1,
      strategiesTotal: 2,
    });

    const updates = slack.callsTo("chat.update");
    assert.equal(updates.length, 2);
    assert.equal(updates[1]?.response.ok, true);
  });

  it("does not retry other Slack errors", async () => {
    slack.failNext("chat.postMessage", { error: "channel_not_found" });

    await assert.rejects(notifier.postAlert(testAlert()), /channel_not_found/);
    assert.equal(slack.callsTo("chat.postMessage").length, 1);
  });

  it("says which setting is missing when no alert channel is configured", async () => {
    const noChannel = createSlackNotifier({
      token: "xoxb-test",
      slackApiUrl: slack.url,
      retryConfig: { retries: 0 },
      logger: pino({ level: "silent" }),
    });

    await assert.rejects(noChannel.postAlert(testAlert()), /SLACK_CHANNEL/);
  });
});
