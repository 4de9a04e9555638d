import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { pino } from "pino";
import {
  appMentionEvent,
  blockActionsBody,
  randomEventId,
  sendSlackEvent,
  urlVerificationBody,
} from "../../test/fakes/slack-events.ts";
import { type FakeSlack, startFakeSlack } from "../../test/fakes/slack-web-api.ts";
import { FEEDBACK_PARTIAL_ACTION_ID, renderAlertMessage } from "./blocks.ts";
import type { FeedbackRequest, MentionRequest } from "./router.ts";
import { createSlack, type VigilSlack } from "./slack-app.ts";
import { testAlert, testResult } from "./test-fixtures.ts";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const CHANNEL = "C0ALERTS";

/** Alertmanager's default notification, as conversations.replies returns it. */
const AM_NOTIFICATION = {
  subtype: "bot_message",
  bot_id: "B0ALERTMGR",
  username: "Alertmanager",
  text: "",
  attachments: [
    {
      id: 1,
      color: "a30200",
      title: "[FIRING:1] HighErrorRate checkout (critical)",
      title_link: "http://alertmanager:9093/#/alerts?receiver=slack",
      text: "*Details:*\n • *alertname:* `HighErrorRate`\n • *service:* `checkout`\n • *severity:* `critical`",
      fallback: "[FIRING:1] HighErrorRate checkout (critical)",
    },
  ],
};

function waitUntil(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error("condition not met in time"));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe("slack/slack-app over HTTP with a real Bolt App", () => {
  let fake: FakeSlack;
  let slack: VigilSlack;
  let server: Server;
  let eventsUrl: string;
  const mentions: MentionRequest[] = [];
  const feedback: FeedbackRequest[] = [];
  let failNextMention = false;

  // Each mention is a real message in the channel: Slack only reacts to messages that exist.
  function mentionInThread(threadTs: string, eventId = randomEventId()) {
    const mention = fake.seedMessage(CHANNEL, { user: "U0ALICE", text: "<@U0VIGIL> investigate", thread_ts: threadTs });
    return appMentionEvent({ channel: CHANNEL, ts: mention.ts, threadTs, eventId });
  }

  before(async () => {
    fake = await startFakeSlack();
    slack = createSlack({
      botToken: "xoxb-test",
      signingSecret: SECRET,
      apiUrl: fake.url,
      channel: CHANNEL,
      logger: pino({ level: process.env.VIGIL_TEST_LOG ?? "silent" }),
      retryConfig: { retries: 0 },
      onMention: async (request) => {
        if (failNextMention) {
          failNextMention = false;
          throw new Error("queue unavailable");
        }
        mentions.push(request);
      },
      onFeedback: async (request) => {
        feedback.push(request);
      },
    });
    const handler = slack.httpHandler;
    assert.ok(handler, "HTTP mode exposes a handler");
    server = createServer((req, res) => {
      if (req.url === "/slack/events") return void handler(req, res);
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    await slack.start();
  });

  after(async () => {
    await slack.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fake.close();
  });

  beforeEach(() => {
    mentions.length = 0;
    feedback.length = 0;
  });

  it("runs in HTTP mode and verified the token with auth.test at start", () => {
    assert.equal(slack.mode, "http");
    assert.equal(fake.callsTo("auth.test")[0]?.token, "xoxb-test");
  });

  it("answers the url_verification challenge", async () => {
    const res = await sendSlackEvent(eventsUrl, SECRET, urlVerificationBody("challenge-123"));

    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { challenge: "challenge-123" });
  });

  it("handles a mention in an Alertmanager thread: 👀, reads the parent, calls onMention with the alert", async () => {
    const parent = fake.seedMessage(CHANNEL, AM_NOTIFICATION);
    const event = mentionInThread(parent.ts);

    const res = await sendSlackEvent(eventsUrl, SECRET, event);
    await waitUntil(() => mentions.length === 1);

    assert.equal(res.status, 200);
    const reaction = fake.callsTo("reactions.add").find((c) => c.args.timestamp === event.event.ts);
    assert.equal(reaction?.args.name, "eyes");
    assert.equal(reaction?.args.channel, CHANNEL);
    assert.equal(reaction?.token, "xoxb-test");
    const replies = fake.callsTo("conversations.replies").find((c) => c.args.ts === parent.ts);
    assert.equal(replies?.args.limit, "1");
    const [request] = mentions;
    assert.equal(request?.alert.alertname, "HighErrorRate");
    assert.deepEqual(request?.alert.labels, { alertname: "HighErrorRate", service: "checkout", severity: "critical" });
    assert.equal(request?.alert.service, "checkout");
    assert.equal(request?.channel, CHANNEL);
    assert.equal(request?.threadTs, parent.ts);
    assert.equal(request?.mentionTs, event.event.ts);
    assert.equal(request?.user, "U0ALICE");
    assert.equal(request?.eventId, event.event_id);
  });

  it("recovers the alert from Vigil's own alert message through its metadata", async () => {
    const alert = testAlert({ fingerprint: "feedfacecafebeef" });
    const posted = await slack.notifier.postAlert(alert);

    await sendSlackEvent(eventsUrl, SECRET, mentionInThread(posted.ts));
    await waitUntil(() => mentions.length === 1);

    assert.equal(mentions[0]?.alert.fingerprint, "feedfacecafebeef");
    assert.equal(mentions[0]?.threadTs, posted.ts);
  });

  it("rejects a bad signature with 401 and does no work", async () => {
    const parent = fake.seedMessage(CHANNEL, AM_NOTIFICATION);
    const event = mentionInThread(parent.ts);
    const callsBefore = fake.calls.length;

    const res = await sendSlackEvent(eventsUrl, SECRET, event, { badSignature: true });

    assert.equal(res.status, 401);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(mentions.length, 0);
    assert.equal(fake.calls.length, callsBefore, "no Slack API call was made");
  });

  it("rejects a stale timestamp with 401 even when correctly signed", async () => {
    const parent = fake.seedMessage(CHANNEL, AM_NOTIFICATION);
    const staleBy = 6 * 60;

    const res = await sendSlackEvent(eventsUrl, SECRET, mentionInThread(parent.ts), {
      timestamp: Math.floor(Date.now() / 1000) - staleBy,
    });

    assert.equal(res.status, 401);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(mentions.length, 0);
  });

  it("handles a replayed event id once (Slack retry with x-slack-retry-num)", async () => {
    const parent = fake.seedMessage(CHANNEL, AM_NOTIFICATION);
    const event = mentionInThread(parent.ts, "EvDUPLICATE01");

    const first = await sendSlackEvent(eventsUrl, SECRET, event);
    await waitUntil(() => mentions.length === 1);
    const retry = await sendSlackEvent(eventsUrl, SECRET, event, { retryNum: 1 });
    const again = await sendSlackEvent(eventsUrl, SECRET, event);
    // A distinct event after the replays: once it is handled, the replays have been too.
    await sendSlackEvent(eventsUrl, SECRET, mentionInThread(parent.ts, "EvSENTINEL001"));
    await waitUntil(() => mentions.some((m) => m.eventId === "EvSENTINEL001"));

    assert.deepEqual([first.status, retry.status, again.status], [200, 200, 200], "replays are still acknowledged");
    assert.equal(mentions.filter((m) => m.eventId === "EvDUPLICATE01").length, 1);
  });

  it("explains what it needs when the thread has no alert, and does not call onMention", async () => {
    const parent = fake.seedMessage(CHANNEL, { user: "U0BOB", text: "anyone seeing slowness on checkout?" });

    await sendSlackEvent(eventsUrl, SECRET, mentionInThread(parent.ts));
    const reply = await fake.waitFor((c) => c.method === "chat.postMessage" && c.args.thread_ts === parent.ts);

    assert.match(String(reply.args.text), /couldn't find an alert/);
    assert.match(String(reply.args.text), /alertname=/);
    assert.equal(mentions.length, 0);
  });

  it("uses the mention itself outside a thread", async () => {
    const mention = fake.seedMessage(CHANNEL, { user: "U0ALICE", text: "<@U0VIGIL> alertname=DiskFull instance=db-1" });
    const event = appMentionEvent({ channel: CHANNEL, ts: mention.ts, text: String(mention.text) });

    await sendSlackEvent(eventsUrl, SECRET, event);
    await waitUntil(() => mentions.length === 1);

    assert.equal(mentions[0]?.alert.alertname, "DiskFull");
    assert.equal(mentions[0]?.threadTs, mention.ts);
    assert.equal(fake.callsTo("conversations.replies").filter((c) => c.args.ts === mention.ts).length, 0);
  });

  it("tells the thread when onMention fails", async () => {
    const parent = fake.seedMessage(CHANNEL, AM_NOTIFICATION);
    failNextMention = true;

    await sendSlackEvent(eventsUrl, SECRET, mentionInThread(parent.ts));
    const reply = await fake.waitFor((c) => c.method === "chat.postMessage" && c.args.thread_ts === parent.ts);

    assert.match(String(reply.args.text), /Something went wrong/);
  });

  it("turns a feedback button click into onFeedback", async () => {
    const body = blockActionsBody({
      actionId: FEEDBACK_PARTIAL_ACTION_ID,
      value: "inv-77",
      channel: CHANNEL,
      messageTs: "1700000000.000900",
      user: "U0CAROL",
    });

    const res = await sendSlackEvent(eventsUrl, SECRET, body);
    await waitUntil(() => feedback.length === 1);

    assert.equal(res.status, 200);
    assert.deepEqual(feedback[0], {
      investigationId: "inv-77",
      verdict: "partial",
      user: "U0CAROL",
      channel: CHANNEL,
      messageTs: "1700000000.000900",
      source: "button",
    });
  });

  it("acknowledges other buttons promptly without recording feedback", async () => {
    const body = blockActionsBody({ actionId: "something_else", value: "x", channel: CHANNEL, messageTs: "1.2" });
    const started = Date.now();

    const res = await sendSlackEvent(eventsUrl, SECRET, body);

    assert.equal(res.status, 200);
    assert.ok(Date.now() - started < 2000, "acknowledged before Slack's 3 s timeout");
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(feedback.length, 0);
  });

  it("the notifier updates the progress message in place with chat.update", async () => {
    const alertMessage = renderAlertMessage(testAlert());
    const parent = fake.seedMessage(CHANNEL, { ...alertMessage, user: "U0VIGIL" });
    const thread = { channel: CHANNEL, threadTs: parent.ts };
    const progress = await slack.notifier.postProgress(thread, testAlert(), { strategiesDone: 0, strategiesTotal: 3 });

    await slack.notifier.postOrUpdateSummary(thread, progress.ts, testResult(), "inv-5");

    const update = fake.callsTo("chat.update").find((c) => c.args.ts === progress.ts);
    assert.ok(update);
    assert.match(JSON.stringify(update.args.blocks), /"value":"inv-5"/);
  });
});
