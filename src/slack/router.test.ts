import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { App } from "@slack/bolt";
import { pino } from "pino";
import { appMentionEvent, reactionAddedEvent } from "../../test/fakes/slack-events.ts";
import { type FakeSlack, startFakeSlack } from "../../test/fakes/slack-web-api.ts";
import { createMemoryEventClaim, type MentionRequest, registerSlackRouter } from "./router.ts";

const CHANNEL = "C0ALERTS";

describe("slack/router createMemoryEventClaim", () => {
  it("claims an id once", async () => {
    const claim = createMemoryEventClaim();

    assert.equal(await claim("Ev1"), true);
    assert.equal(await claim("Ev1"), false);
    assert.equal(await claim("Ev2"), true);
  });

  it("forgets ids after the TTL and beyond the size cap", async () => {
    const short = createMemoryEventClaim({ ttlMs: 20 });
    await short("Ev1");
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(await short("Ev1"), true);

    const small = createMemoryEventClaim({ maxEntries: 2 });
    await small("a");
    await small("b");
    await small("c");
    assert.equal(await small("a"), true, "the oldest id was evicted");
  });
});

describe("slack/router through app.processEvent", () => {
  let fake: FakeSlack;
  let app: App;
  const mentions: MentionRequest[] = [];
  let claimFails = false;

  before(async () => {
    fake = await startFakeSlack();
    app = new App({
      token: "xoxb-test",
      receiver: { init: () => {}, start: async () => {}, stop: async () => {} },
      clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } },
      deferInitialization: true,
    });
    registerSlackRouter(app, {
      logger: pino({ level: "silent" }),
      onMention: async (request) => {
        mentions.push(request);
      },
      onFeedback: async () => {},
      claimEvent: async () => {
        if (claimFails) throw new Error("store down");
        return true;
      },
    });
    await app.init();
  });

  after(async () => {
    await fake.close();
  });

  async function process(body: object): Promise<void> {
    await app.processEvent({ body: body as Record<string, unknown>, ack: async () => {} });
  }

  it("says Slack's reason when it cannot read the thread", async () => {
    const mention = fake.seedMessage(CHANNEL, { user: "U0ALICE", text: "<@U0VIGIL> why?" });
    // The thread parent does not exist in the fake: conversations.replies answers thread_not_found.

    await process(appMentionEvent({ channel: CHANNEL, ts: mention.ts, threadTs: "1600000000.000100" }));

    const reply = fake.callsTo("chat.postMessage").at(-1);
    assert.equal(reply?.args.thread_ts, "1600000000.000100");
    assert.match(String(reply?.args.text), /Slack said `thread_not_found`/);
    assert.equal(mentions.length, 0);
  });

  it("still handles the mention when the dedupe store fails (fail open)", async () => {
    const mention = fake.seedMessage(CHANNEL, { user: "U0ALICE", text: "<@U0VIGIL> alertname=Boom" });
    claimFails = true;

    await process(appMentionEvent({ channel: CHANNEL, ts: mention.ts, text: String(mention.text) }));
    claimFails = false;

    assert.equal(mentions.at(-1)?.alert.alertname, "Boom");
  });

  it("keeps investigating when the eyes reaction fails", async () => {
    fake.failNext("reactions.add", { error: "missing_scope" });

    await process(appMentionEvent({ channel: CHANNEL, ts: "1600000001.000100", text: "<@U0VIGIL> alertname=NoMsg" }));

    assert.equal(mentions.at(-1)?.alert.alertname, "NoMsg");
  });

  it("ignores reactions when no summary lookup is configured, without calling Slack", async () => {
    const before = fake.calls.length;
    const count = mentions.length;

    await process(reactionAddedEvent({ channel: CHANNEL, itemTs: "1600000000.000100", reaction: "+1" }));

    assert.equal(fake.calls.length, before);
    assert.equal(mentions.length, count);
  });
});
