import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type FakeSlack, startFakeSlack } from "../../test/fakes/slack-web-api.ts";

// The fake stands in for slack.com in every Slack test; these pin the protocol details the tests rely on.
describe("test/fakes/slack-web-api", () => {
  let slack: FakeSlack;

  before(async () => {
    slack = await startFakeSlack();
  });

  after(async () => {
    await slack.close();
  });

  async function callJson(method: string, body: object, token = "xoxb-test") {
    const res = await fetch(`${slack.url}${method}`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  }

  it("accepts JSON bodies and assigns increasing unique ts values", async () => {
    const first = await callJson("chat.postMessage", { channel: "C1", text: "one" });
    const second = await callJson("chat.postMessage", { channel: "C1", blocks: [{ type: "divider" }] });

    assert.equal(first.ok, true);
    assert.match(String(first.ts), /^\d{10}\.\d{6}$/);
    assert.ok(Number(second.ts) > Number(first.ts));
    assert.deepEqual(slack.callsTo("chat.postMessage")[1]?.args.blocks, [{ type: "divider" }]);
  });

  it("parses blocks sent as a JSON string inside a form", async () => {
    const form = new URLSearchParams({ channel: "C1", blocks: JSON.stringify([{ type: "divider" }]), token: "xoxb-f" });
    await fetch(`${slack.url}chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });

    const call = slack.callsTo("chat.postMessage").at(-1);
    assert.deepEqual(call?.args.blocks, [{ type: "divider" }]);
    assert.equal(call?.token, "xoxb-f");
  });

  it("answers unknown methods and missing tokens like Slack", async () => {
    assert.deepEqual(await callJson("admin.users.remove", {}), { ok: false, error: "unknown_method" });
    const res = await fetch(`${slack.url}auth.test`, { method: "POST" });
    assert.deepEqual(await res.json(), { ok: false, error: "not_authed" });
  });

  it("returns a thread parent first and message metadata only with include_all_metadata", async () => {
    const parent = slack.seedMessage("C2", {
      text: "alert",
      metadata: { event_type: "vigil_alert", event_payload: {} },
    });
    await callJson("chat.postMessage", { channel: "C2", thread_ts: parent.ts, text: "reply" });

    const plain = await callJson("conversations.replies", { channel: "C2", ts: parent.ts });
    const withMetadata = await callJson("conversations.replies", {
      channel: "C2",
      ts: parent.ts,
      limit: 1,
      include_all_metadata: true,
    });

    const messages = plain.messages as Array<Record<string, unknown>>;
    assert.equal(messages.length, 2);
    assert.equal(messages[0]?.ts, parent.ts);
    assert.equal(messages[0]?.metadata, undefined);
    const limited = withMetadata.messages as Array<Record<string, unknown>>;
    assert.equal(limited.length, 1);
    assert.deepEqual(limited[0]?.metadata, { event_type: "vigil_alert", event_payload: {} });
    assert.equal(withMetadata.has_more, true);
  });

  it("lists channel history newest first without thread replies", async () => {
    const a = slack.seedMessage("C3", { text: "a" });
    const b = slack.seedMessage("C3", { text: "b" });
    slack.seedMessage("C3", { text: "reply", thread_ts: a.ts });

    const history = await callJson("conversations.history", { channel: "C3" });

    assert.deepEqual(
      (history.messages as Array<{ ts: string }>).map((m) => m.ts),
      [b.ts, a.ts],
    );
  });

  it("injects 429 with Retry-After for the next N calls only", async () => {
    slack.failNext("users.info", { status: 429, retryAfter: 7, times: 2 });

    const statuses: Array<[number, string | null]> = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(`${slack.url}users.info?user=U1`, { headers: { authorization: "Bearer xoxb-test" } });
      statuses.push([res.status, res.headers.get("retry-after")]);
    }

    assert.deepEqual(statuses, [
      [429, "7"],
      [429, "7"],
      [200, null],
    ]);
  });

  it("waitFor resolves with a future call and rejects on timeout", async () => {
    const pending = slack.waitFor((c) => c.method === "conversations.info" && c.args.channel === "C9");
    await callJson("conversations.info", { channel: "C9" });

    assert.equal((await pending).response.ok, true);
    await assert.rejects(
      slack.waitFor((c) => c.method === "never.called", 50),
      /no matching call within 50 ms/,
    );
  });
});
