import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { App } from "@slack/bolt";
import { pino } from "pino";
import { appMentionEvent, sendSlackEvent, signSlackRequest } from "../../test/fakes/slack-events.ts";
import { HttpEventsReceiver } from "./transport-http.ts";

const SECRET = "test-signing-secret";

describe("slack/transport-http HttpEventsReceiver", () => {
  let server: Server;
  let url: string;
  const processed: Array<{ body: Record<string, unknown>; retryNum?: number }> = [];

  before(async () => {
    const receiver = new HttpEventsReceiver({ signingSecret: SECRET, logger: pino({ level: "silent" }) });
    // A stand-in for Bolt's App: the receiver only ever calls processEvent.
    const app = {
      processEvent: async (event: { body: Record<string, unknown>; retryNum?: number; ack: () => Promise<void> }) => {
        processed.push({ body: event.body, retryNum: event.retryNum });
        await event.ack();
      },
    };
    receiver.init(app as unknown as App);
    server = createServer((req, res) => void receiver.requestHandler(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("hands a signed event to the app with its retry number", async () => {
    const event = appMentionEvent({ channel: "C1", ts: "1700000000.000100" });

    const res = await sendSlackEvent(url, SECRET, event, { retryNum: 2 });

    assert.equal(res.status, 200);
    assert.equal(processed.at(-1)?.body.event_id, event.event_id);
    assert.equal(processed.at(-1)?.retryNum, 2);
  });

  it("rejects a timestamp too far in the future", async () => {
    const count = processed.length;

    const res = await sendSlackEvent(url, SECRET, appMentionEvent({ channel: "C1", ts: "1.1" }), {
      timestamp: Math.floor(Date.now() / 1000) + 10 * 60,
    });

    assert.equal(res.status, 401);
    assert.equal(processed.length, count);
  });

  it("rejects requests without signature headers", async () => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });

    assert.equal(res.status, 401);
  });

  it("answers 400 to a signed but malformed body", async () => {
    const body = "{not json";
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": signSlackRequest(SECRET, timestamp, body),
      },
      body,
    });

    assert.equal(res.status, 400);
  });

  it("answers Slack's unsigned ssl_check without processing", async () => {
    const count = processed.length;

    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "ssl_check=1&token=abc",
    });

    assert.equal(res.status, 200);
    assert.equal(processed.length, count);
  });

  it("answers 405 to anything but POST", async () => {
    const res = await fetch(url);

    assert.equal(res.status, 405);
  });
});
