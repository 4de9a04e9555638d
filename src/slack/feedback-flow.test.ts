import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { blockActionsBody, reactionAddedEvent, sendSlackEvent, TEST_TEAM_ID } from "../../test/fakes/slack-events.ts";
import { type FakeSlack, startFakeSlack } from "../../test/fakes/slack-web-api.ts";
import { parseAllowlist, slackGroupMembers } from "../feedback/allowlist.ts";
import { createFeedbackService } from "../feedback/feedback-service.ts";
import { listFeedback } from "../feedback/feedback-store.ts";
import { listOutcomes } from "../feedback/outcomes.ts";
import { alertOf, insertInvestigation, memoryDb, resultOf } from "../feedback/test-fixtures.ts";
import type { Db } from "../store/db.ts";
import {
  FEEDBACK_CORRECT_ACTION_ID,
  FEEDBACK_MODAL_BLOCKS,
  FEEDBACK_MODAL_CALLBACK_ID,
  FEEDBACK_WRONG_ACTION_ID,
} from "./blocks.ts";
import { createSlack, type VigilSlack } from "./slack-app.ts";

const SECRET = "feedbackflowsecret0123456789abcd";
const CHANNEL = "C0ALERTS";
const SUMMARY_TS = "1700000500.000100";

function waitUntil(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = async () => {
      if (await check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error("condition not met in time"));
      setTimeout(tick, 20);
    };
    void tick();
  });
}

/** The view_submission payload Slack posts when someone presses Save in the modal. */
function viewSubmissionBody(options: {
  user: string;
  privateMetadata: string;
  values: Partial<Record<keyof typeof FEEDBACK_MODAL_BLOCKS, string>>;
}): string {
  const values: Record<string, Record<string, { type: string; value: string | null }>> = {};
  for (const [key, blockId] of Object.entries(FEEDBACK_MODAL_BLOCKS)) {
    const value = options.values[key as keyof typeof FEEDBACK_MODAL_BLOCKS];
    values[blockId] = { value: { type: "plain_text_input", value: value ?? null } };
  }
  const payload = {
    type: "view_submission",
    team: { id: TEST_TEAM_ID, domain: "vigil-test" },
    user: {
      id: options.user,
      username: options.user.toLowerCase(),
      name: options.user.toLowerCase(),
      team_id: TEST_TEAM_ID,
    },
    api_app_id: "A0VIGIL",
    token: "legacy-verification-token",
    trigger_id: "1.2.modal",
    view: {
      id: "V0MODAL",
      team_id: TEST_TEAM_ID,
      type: "modal",
      callback_id: FEEDBACK_MODAL_CALLBACK_ID,
      private_metadata: options.privateMetadata,
      state: { values },
      hash: "1.abc",
      title: { type: "plain_text", text: "Wrong" },
      blocks: [],
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function slashCommandBody(text: string, user = "U0ALICE"): string {
  return new URLSearchParams({
    token: "legacy-verification-token",
    team_id: TEST_TEAM_ID,
    team_domain: "vigil-test",
    channel_id: CHANNEL,
    channel_name: "alerts",
    user_id: user,
    user_name: user.toLowerCase(),
    command: "/vigil",
    text,
    api_app_id: "A0VIGIL",
    response_url: "https://hooks.slack.com/commands/T0VIGIL/1/fake",
    trigger_id: "1.2.cmd",
  }).toString();
}

describe("slack feedback flow: Bolt over HTTP, fake Slack, PGlite store", () => {
  let fake: FakeSlack;
  let slack: VigilSlack;
  let server: Server;
  let db: Db;
  let url: string;

  before(async () => {
    fake = await startFakeSlack();
    fake.seedUserGroup("S0ONCALL", ["U0DAVE"]);
    db = await memoryDb();
    const alert = alertOf("HighLatency", { service: "web" });
    const result = resultOf(alert, "postgres", [
      { name: "golden-signals", top: "postgres" },
      { name: "kubernetes-health", top: "orders" },
    ]);
    for (const id of ["inv-btn", "inv-wrong", "inv-react", "inv-stranger"]) {
      await insertInvestigation(db, {
        id,
        alert,
        result,
        slackChannel: CHANNEL,
        ...(id === "inv-react" ? { slackMessageTs: SUMMARY_TS } : {}),
      });
    }
    const logger = pino({ level: process.env.VIGIL_TEST_LOG ?? "silent" });
    let client: VigilSlack["app"]["client"] | undefined;
    const feedback = createFeedbackService({
      db,
      logger,
      allowlist: parseAllowlist("U0ALICE,U0BOB,S0ONCALL"),
      listGroupMembers: async (group) => (client ? slackGroupMembers(client)(group) : []),
    });
    slack = createSlack({
      botToken: "xoxb-test",
      signingSecret: SECRET,
      apiUrl: fake.url,
      channel: CHANNEL,
      logger,
      retryConfig: { retries: 0 },
      onMention: async () => {},
      onFeedback: feedback.onFeedback,
      onRealCause: feedback.onRealCause,
      findInvestigationByMessage: feedback.findInvestigationByMessage,
      leaderboard: feedback.leaderboard,
    });
    client = slack.app.client;
    const handler = slack.httpHandler;
    assert.ok(handler);
    server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    await slack.start();
  });

  after(async () => {
    await slack.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fake.close();
    await db.close();
  });

  it("records a Correct click and confirms it to the clicker only", async () => {
    const res = await sendSlackEvent(
      url,
      SECRET,
      blockActionsBody({
        actionId: FEEDBACK_CORRECT_ACTION_ID,
        value: "inv-btn",
        channel: CHANNEL,
        messageTs: "1.1",
        user: "U0ALICE",
      }),
    );
    const confirmation = await fake.waitFor((c) => c.method === "chat.postEphemeral" && c.args.user === "U0ALICE");

    assert.equal(res.status, 200);
    const rows = await listFeedback(db, "inv-btn");
    assert.deepEqual(
      rows.map((r) => [r.userId, r.source, r.verdict, r.authorized]),
      [["U0ALICE", "button", "correct", true]],
    );
    assert.equal(confirmation.args.channel, CHANNEL);
    assert.match(String(confirmation.args.text), /recorded \*Correct\*/);
    const outcomes = await listOutcomes(db, "inv-btn");
    assert.deepEqual(
      outcomes.map((o) => [o.strategy, o.credit]),
      [
        ["golden-signals", 1],
        ["kubernetes-health", 0],
      ],
    );
    assert.equal(fake.callsTo("views.open").length, 0, "Correct needs no form");
  });

  it("opens the reason / real cause form on Wrong, and records the real cause it submits", async () => {
    await sendSlackEvent(
      url,
      SECRET,
      blockActionsBody({
        actionId: FEEDBACK_WRONG_ACTION_ID,
        value: "inv-wrong",
        channel: CHANNEL,
        messageTs: "1.2",
        user: "U0BOB",
      }),
    );
    const open = await fake.waitFor((c) => c.method === "views.open");
    const view = open.args.view as {
      callback_id: string;
      private_metadata: string;
      blocks: Array<{ block_id?: string }>;
    };

    assert.equal(view.callback_id, FEEDBACK_MODAL_CALLBACK_ID);
    assert.ok(view.blocks.some((b) => b.block_id === FEEDBACK_MODAL_BLOCKS.causeService));
    assert.deepEqual(JSON.parse(view.private_metadata), {
      investigationId: "inv-wrong",
      verdict: "wrong",
      channel: CHANNEL,
      messageTs: "1.2",
    });

    const res = await sendSlackEvent(
      url,
      SECRET,
      viewSubmissionBody({
        user: "U0BOB",
        privateMetadata: view.private_metadata,
        values: {
          reason: "the db, not the app",
          causeService: "orders",
          causeDescription: "connection pool exhausted",
        },
      }),
    );
    await waitUntil(async () => (await listFeedback(db, "inv-wrong"))[0]?.source === "modal");

    assert.equal(res.status, 200);
    const [row] = await listFeedback(db, "inv-wrong");
    assert.equal(row?.verdict, "wrong");
    assert.equal(row?.reason, "the db, not the app");
    assert.deepEqual(row?.realCause, { service: "orders", description: "connection pool exhausted" });
    const outcomes = await listOutcomes(db, "inv-wrong");
    assert.equal(outcomes.find((o) => o.strategy === "kubernetes-health")?.credit, 1);
  });

  it("keeps the form open with an error when a description comes without a service", async () => {
    const res = await sendSlackEvent(
      url,
      SECRET,
      viewSubmissionBody({
        user: "U0BOB",
        privateMetadata: JSON.stringify({ investigationId: "inv-wrong", verdict: "wrong" }),
        values: { causeDescription: "something" },
      }),
    );

    assert.equal(res.status, 200);
    const body = JSON.parse(res.body) as { response_action: string; errors: Record<string, string> };
    assert.equal(body.response_action, "errors");
    assert.ok(body.errors[FEEDBACK_MODAL_BLOCKS.causeService]);
  });

  it("turns a 👍 on the summary message into Correct feedback, and ignores other reactions and messages", async () => {
    await sendSlackEvent(
      url,
      SECRET,
      reactionAddedEvent({ channel: CHANNEL, itemTs: "1.9", reaction: "+1", user: "U0ALICE" }),
    );
    await sendSlackEvent(
      url,
      SECRET,
      reactionAddedEvent({ channel: CHANNEL, itemTs: SUMMARY_TS, reaction: "tada", user: "U0ALICE" }),
    );
    await sendSlackEvent(
      url,
      SECRET,
      reactionAddedEvent({ channel: CHANNEL, itemTs: SUMMARY_TS, reaction: "+1::skin-tone-3", user: "U0DAVE" }),
    );
    await waitUntil(async () => (await listFeedback(db, "inv-react")).length > 0);

    const rows = await listFeedback(db, "inv-react");
    assert.deepEqual(
      rows.map((r) => [r.userId, r.source, r.verdict, r.authorized]),
      [["U0DAVE", "reaction", "correct", true]],
      "U0DAVE is authorized through the S0ONCALL group",
    );
  });

  it("records feedback from someone outside the allowlist as unauthorized and says so", async () => {
    await sendSlackEvent(
      url,
      SECRET,
      blockActionsBody({
        actionId: FEEDBACK_CORRECT_ACTION_ID,
        value: "inv-stranger",
        channel: CHANNEL,
        messageTs: "1.3",
        user: "U0MALLORY",
      }),
    );
    const confirmation = await fake.waitFor((c) => c.method === "chat.postEphemeral" && c.args.user === "U0MALLORY");

    const rows = await listFeedback(db, "inv-stranger");
    assert.deepEqual(
      rows.map((r) => [r.userId, r.authorized]),
      [["U0MALLORY", false]],
    );
    assert.match(String(confirmation.args.text), /not on Vigil's feedback allowlist/);
    assert.deepEqual(await listOutcomes(db, "inv-stranger"), [], "nothing is learned from it");
  });

  it("answers /vigil strategies with the leaderboard, and unknown subcommands with usage", async () => {
    const board = await sendSlackEvent(url, SECRET, slashCommandBody("strategies HighLatency"));
    const usage = await sendSlackEvent(url, SECRET, slashCommandBody("dance"));

    assert.equal(board.status, 200);
    const text = (JSON.parse(board.body) as { text: string; response_type: string }).text;
    assert.match(text, /Strategy leaderboard: HighLatency\{service\}/);
    assert.match(text, /golden-signals/);
    assert.match((JSON.parse(usage.body) as { text: string }).text, /\/vigil strategies/);
  });
});
