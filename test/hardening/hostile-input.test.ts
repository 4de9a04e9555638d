import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { appMentionEvent, sendSlackEvent, signSlackRequest } from "../fakes/slack-events.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slack-web-api.ts";
import { type DaemonProcess, eventually, startDaemon } from "../harness/daemon.ts";
import { crashLogs, firingAlert, healthz, rawPost, rssBytes, sleep, webhookPayload } from "./helpers.ts";

const SIGNING_SECRET = "hardening-signing-secret";
const MAX_BYTES = 262_144;
const PROBE = fileURLToPath(new URL("./unhandled-probe.mjs", import.meta.url));

/**
 * Hostile input against a spawned daemon: the Alertmanager webhook and the Slack events endpoint get malformed,
 * oversized, deeply nested, control-character-laden and badly signed requests. Every one gets a clear 4xx (or a
 * 202 for what is a valid alert after all), never a 5xx; afterwards the daemon still answers /healthz, logged no
 * unhandled rejection or uncaught exception, and its memory grew by less than 100 MB.
 */
describe("test/hardening/hostile-input: the daemon refuses hostile requests and keeps running", () => {
  let slack: FakeSlack;
  let daemon: DaemonProcess;
  let webhook: string;
  let events: string;

  before(async () => {
    slack = await startFakeSlack();
    daemon = await startDaemon({
      SLACK_BOT_TOKEN: "xoxb-hardening-token",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      VIGIL_WEBHOOK_MAX_BYTES: String(MAX_BYTES),
      VIGIL_CONCURRENCY: "1",
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${PROBE}`.trim(),
    });
    webhook = `${daemon.url}/webhooks/alertmanager`;
    events = `${daemon.url}/slack/events`;
  });

  after(async () => {
    await daemon?.stop();
    await slack?.close();
  });

  /** A 4xx (or 202) with a JSON body that says what is wrong; never a 5xx. */
  function assertClearAnswer(res: { status: number; body: string }, what: string): void {
    assert.ok(res.status < 500, `${what}: got ${res.status} ${res.body.slice(0, 300)}`);
    if (res.status >= 400) {
      const parsed = JSON.parse(res.body) as { error?: unknown };
      assert.equal(typeof parsed.error, "string", `${what}: the 4xx body names the problem: ${res.body.slice(0, 200)}`);
      assert.ok(String(parsed.error).length > 0);
    }
  }

  it("answers arbitrary bytes with a 4xx that names the problem", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        const res = await rawPost(webhook, Buffer.from(bytes));
        assert.ok(res.status >= 400 && res.status < 500, `random bytes got ${res.status}`);
        assertClearAnswer(res, "random bytes");
      }),
      { seed: 9001, numRuns: 60 },
    );
  });

  it("answers any JSON value that is not a webhook payload with 422 or 400", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        const res = await rawPost(webhook, JSON.stringify(value));
        assert.ok([400, 422].includes(res.status), `JSON ${JSON.stringify(value).slice(0, 80)} got ${res.status}`);
        assertClearAnswer(res, "random JSON");
      }),
      { seed: 9002, numRuns: 60 },
    );
  });

  it("accepts or clearly refuses webhook payloads with wrong types, control characters and absurd times", async () => {
    const hostileString = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.string({ unit: "grapheme", maxLength: 50 }),
      fc.constantFrom("\u0000", "a\u0000b", "\ud800", "x\udfffy", "\u202e\u200b", "\r\n\t\u001b[31m", "%00", "../.."),
    );
    const timestamp = fc.oneof(
      fc.constantFrom(
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "+275760-09-13T00:00:00.000Z",
        "-271821-04-20T00:00:00.000Z",
        "1970-01-01T00:00:00Z",
        "not a time",
        "",
        "2024-02-30T25:61:61Z",
      ),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.string({ maxLength: 64 }),
    );
    const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
    const alert = fc.record({
      status: fc.oneof(fc.constant("firing"), fc.constant("resolved"), hostileString, wrongType),
      labels: fc.oneof(
        fc.dictionary(hostileString, hostileString, { maxKeys: 8 }).map((l) => ({ alertname: "Fuzz", ...l })),
        wrongType,
      ),
      annotations: fc.oneof(fc.dictionary(hostileString, hostileString, { maxKeys: 4 }), wrongType),
      startsAt: fc.oneof(timestamp, wrongType),
      fingerprint: fc.oneof(hostileString, fc.constant(undefined)),
      generatorURL: fc.oneof(hostileString, fc.constant(undefined)),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(alert, { minLength: 1, maxLength: 4 }), async (alerts) => {
        const res = await rawPost(webhook, JSON.stringify(webhookPayload(alerts)));
        assert.ok([202, 422].includes(res.status), `got ${res.status}: ${res.body.slice(0, 300)}`);
        assertClearAnswer(res, "fuzzed payload");
        if (res.status === 202) {
          const body = JSON.parse(res.body) as { alerts: Array<{ status: string }> };
          assert.equal(body.alerts.length, alerts.length, "one result per alert");
          for (const a of body.alerts) {
            assert.ok(["accepted", "duplicate", "ignored-resolved", "invalid"].includes(a.status), a.status);
          }
        }
      }),
      { seed: 9003, numRuns: 80 },
    );
  });

  it("stores alerts whose labels carry NUL, lone surrogates and invalid UTF-8 bytes instead of failing with 5xx", async () => {
    const nul = await rawPost(
      webhook,
      JSON.stringify(webhookPayload([firingAlert({ labels: { alertname: "Nul\u0000Bytes", service: "a\u0000b" } })])),
    );
    assert.equal(nul.status, 202, nul.body);
    const surrogate = await rawPost(
      webhook,
      `{"status":"firing","receiver":"vigil","alerts":[{"status":"firing","labels":{"alertname":"Lone\\ud800","service":"x\\udfff"},"startsAt":"${new Date().toISOString()}","fingerprint":"hardsurrogate01"}]}`,
    );
    assert.equal(surrogate.status, 202, surrogate.body);
    const invalidUtf8 = Buffer.concat([
      Buffer.from(
        `{"status":"firing","receiver":"vigil","alerts":[{"status":"firing","startsAt":"${new Date().toISOString()}","fingerprint":"hardutf8bytes01","labels":{"alertname":"Bytes","service":"`,
      ),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0xed, 0xa0, 0x80]),
      Buffer.from(`"}}]}`),
    ]);
    const bytes = await rawPost(webhook, invalidUtf8);
    assert.equal(bytes.status, 202, bytes.body);
    const ids = [nul, surrogate, bytes].map(
      (r) => (JSON.parse(r.body) as { alerts: Array<{ investigationId: string }> }).alerts[0].investigationId,
    );
    for (const id of ids) {
      const res = await fetch(`${daemon.url}/api/investigations/${id}`);
      assert.equal(res.status, 200, `investigation ${id} is stored and readable`);
      await res.body?.cancel();
    }
  });

  it("refuses deep nesting, huge label sets and too many alerts with a 4xx", async () => {
    const deepArray = await rawPost(webhook, "[".repeat(200_000));
    assert.equal(deepArray.status, 400);
    assertClearAnswer(deepArray, "deep array");
    const deepObject = await rawPost(webhook, `${'{"a":'.repeat(40_000)}1${"}".repeat(40_000)}`);
    assert.ok([400, 422].includes(deepObject.status), `deep object got ${deepObject.status}`);
    const nested = await rawPost(
      webhook,
      JSON.stringify(
        webhookPayload([firingAlert({ labels: JSON.parse(`${'{"x":'.repeat(500)}"v"${"}".repeat(500)}`) })]),
      ),
    );
    assert.equal(nested.status, 422);
    const labels: Record<string, string> = { alertname: "ManyLabels" };
    for (let i = 0; i < 5000; i++) labels[`l${i}`] = "v";
    const many = await rawPost(webhook, JSON.stringify(webhookPayload([firingAlert({ labels })])));
    assert.equal(many.status, 422);
    assert.match(many.body, /more than 200 labels/);
    const alerts = Array.from({ length: 1500 }, () => ({ status: "resolved", labels: {}, startsAt: "x" }));
    const tooMany = await rawPost(webhook, JSON.stringify(webhookPayload(alerts)));
    assert.equal(tooMany.status, 422);
    const longValue = await rawPost(
      webhook,
      JSON.stringify(webhookPayload([firingAlert({ labels: { alertname: "x".repeat(20_000) } })])),
    );
    assert.equal(longValue.status, 422);
  });

  it("refuses a non-JSON content type with 415 and an unknown method with 405", async () => {
    const res = await rawPost(webhook, "alerts=1", { "content-type": "application/x-www-form-urlencoded" });
    assert.equal(res.status, 415);
    assertClearAnswer(res, "form body");
    const get = await fetch(webhook);
    assert.equal(get.status, 405);
    await get.body?.cancel();
  });

  it("refuses oversized bodies with 413, declared or streamed, and memory stays bounded", async () => {
    const pid = daemon.child.pid as number;
    const before = rssBytes(pid);
    const big = Buffer.alloc(4 * 1024 * 1024, 0x20);
    for (let round = 0; round < 6; round++) {
      const batch = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          rawPost(webhook, big, { "content-type": "application/json" }, { chunked: i % 2 === 0 }),
        ),
      );
      for (const res of batch) {
        assert.equal(res.status, 413, `oversized body got ${res.status}`);
        assertClearAnswer(res, "oversized");
      }
    }
    // A body just over the limit, streamed: the server cannot know its size up front.
    const edge = await rawPost(webhook, Buffer.alloc(MAX_BYTES + 1, 0x20), undefined, { chunked: true });
    assert.equal(edge.status, 413);
    await sleep(500);
    const grown = rssBytes(pid) - before;
    assert.ok(grown < 100 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1048576)} MB after 48 × 4 MiB bodies`);
  });

  it("refuses Slack requests that are unsigned, badly signed, stale, from the future or replayed", async () => {
    const mention = appMentionEvent({ channel: "C0HARD", ts: "1700000001.000100", threadTs: "1700000000.000100" });
    const body = JSON.stringify(mention);
    const now = Math.floor(Date.now() / 1000);
    const unsigned = await rawPost(events, body);
    assert.equal(unsigned.status, 401);
    const bad = await sendSlackEvent(events, SIGNING_SECRET, mention, { badSignature: true });
    assert.equal(bad.status, 401);
    const stale = await sendSlackEvent(events, SIGNING_SECRET, mention, { timestamp: now - 6 * 60 });
    assert.equal(stale.status, 401);
    const future = await sendSlackEvent(events, SIGNING_SECRET, mention, { timestamp: now + 6 * 60 });
    assert.equal(future.status, 401);
    // A signature for one body does not cover another.
    const swapped = await rawPost(events, body.replace("C0HARD", "C0EVIL"), {
      "content-type": "application/json",
      "x-slack-request-timestamp": String(now),
      "x-slack-signature": signSlackRequest(SIGNING_SECRET, now, body),
    });
    assert.equal(swapped.status, 401);
    const malformedTs = await rawPost(events, body, {
      "content-type": "application/json",
      "x-slack-request-timestamp": "1e9",
      "x-slack-signature": signSlackRequest(SIGNING_SECRET, now, body),
    });
    assert.equal(malformedTs.status, 401);
    await sleep(300);
    assert.equal(
      slack.calls.filter((c) => c.args.channel === "C0HARD" || c.args.channel === "C0EVIL").length,
      0,
      "no refused request did any work",
    );
  });

  it("processes a replayed Slack event once", async () => {
    const channel = "C0REPLAY";
    const parent = slack.seedMessage(channel, {
      user: "U0AMBOT",
      text: "[FIRING:1] ReplayProbe (checkout warning)",
      attachments: [
        {
          title: "[FIRING:1] ReplayProbe (checkout warning)",
          text: `*Alert:* ReplayProbe - warning\n*Labels:*\n• alertname: ReplayProbe\n• service: checkout\n*Starts at:* ${new Date().toISOString()}`,
        },
      ],
    });
    const mention = appMentionEvent({ channel, ts: "1700000099.000100", threadTs: parent.ts, user: "U0ONCALL" });
    const first = await sendSlackEvent(events, SIGNING_SECRET, mention);
    const replays = await Promise.all(
      [1, 2, 3].map((n) => sendSlackEvent(events, SIGNING_SECRET, mention, { retryNum: n })),
    );
    assert.equal(first.status, 200);
    for (const r of replays) assert.equal(r.status, 200);
    await eventually(async () =>
      slack.calls.some((c) => c.method === "chat.postMessage" && c.args.channel === channel) ? true : undefined,
    );
    await sleep(1500);
    const eyes = slack.calls.filter((c) => c.method === "reactions.add" && c.args.channel === channel);
    const posts = slack.calls.filter((c) => c.method === "chat.postMessage" && c.args.channel === channel);
    assert.equal(eyes.length, 1, "one 👀 for one event delivered four times");
    assert.equal(posts.length, 1, "one thread message for one event delivered four times");
  });

  it("refuses unsigned garbage with 401, and answers signed garbage with a 2xx or 4xx without going down", async () => {
    const garbage = fc.oneof(
      fc.jsonValue({ maxDepth: 5 }).map((v) => ({ raw: JSON.stringify(v), form: false })),
      fc.string({ unit: "binary", maxLength: 500 }).map((s) => ({ raw: s, form: false })),
      fc
        .record({
          type: fc.constantFrom("event_callback", "block_actions", "url_verification", "view_submission", "weird"),
          event: fc.oneof(
            fc.jsonValue({ maxDepth: 3 }),
            fc.record({
              type: fc.constantFrom("app_mention", "message", "reaction_added", "app_home_opened"),
              channel: fc.string({ maxLength: 20 }),
              ts: fc.string({ maxLength: 20 }),
              thread_ts: fc.option(fc.string({ maxLength: 20 })),
              text: fc.string({ unit: "binary", maxLength: 200 }),
              user: fc.string({ maxLength: 12 }),
            }),
          ),
          event_id: fc.string({ maxLength: 20 }),
          challenge: fc.option(fc.string({ maxLength: 20 })),
        })
        .map((v) => ({ raw: JSON.stringify(v), form: false })),
      fc
        .record({
          type: fc.constantFrom("block_actions", "message_action", "shortcut"),
          actions: fc.array(
            fc.record({ action_id: fc.string({ maxLength: 30 }), value: fc.string({ maxLength: 60 }) }),
            { maxLength: 3 },
          ),
          user: fc.jsonValue({ maxDepth: 2 }),
          container: fc.jsonValue({ maxDepth: 2 }),
        })
        .map((v) => ({ raw: new URLSearchParams({ payload: JSON.stringify(v) }).toString(), form: true })),
      fc.string({ maxLength: 300 }).map((s) => ({ raw: `payload=${encodeURIComponent(s)}`, form: true })),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async ({ raw, form }) => {
        const ts = Math.floor(Date.now() / 1000);
        const contentType = form ? "application/x-www-form-urlencoded" : "application/json";
        // Without the signing secret (anyone on the network), every body is refused before it is parsed.
        const forged = await rawPost(events, raw, {
          "content-type": contentType,
          "x-slack-request-timestamp": String(ts),
          "x-slack-signature": signSlackRequest(`${SIGNING_SECRET}-guess`, ts, raw),
        });
        if (!(form && /(^|&)ssl_check=1(&|$)/.test(raw))) assert.equal(forged.status, 401, raw.slice(0, 120));
        // Signed garbage can only come from Slack (or whoever holds the secret): it is answered (a 2xx when Bolt can
        // route it, else a 4xx), never with a 5xx, and never takes the daemon down.
        const signed = await rawPost(events, raw, {
          "content-type": contentType,
          "x-slack-request-timestamp": String(ts),
          "x-slack-signature": signSlackRequest(SIGNING_SECRET, ts, raw),
        });
        assert.ok(
          signed.status >= 200 && signed.status < 500,
          `signed garbage got ${signed.status}: ${raw.slice(0, 200)}`,
        );
      }),
      { seed: 9004, numRuns: 60 },
    );
    assert.equal(await healthz(daemon.url), 200);
  });

  it("logs a rejection nobody handled and keeps serving", async () => {
    daemon.child.kill("SIGUSR2");
    const logged = await daemon.waitForLog((l) => l.event === "unhandledRejection", 10_000);
    assert.match(JSON.stringify(logged), /hardening probe/);
    assert.equal(await healthz(daemon.url), 200);
    assert.equal(daemon.child.exitCode, null, "the daemon is still running");
  });

  it("is still healthy after the barrage, and logged no other unhandled rejection or uncaught exception", async () => {
    assert.equal(await healthz(daemon.url), 200);
    const ready = await fetch(`${daemon.url}/readyz`);
    assert.equal(ready.status, 200);
    await ready.body?.cancel();
    const crashes = crashLogs(daemon).filter((l) => !JSON.stringify(l).includes("hardening probe"));
    assert.deepEqual(crashes, [], "no unhandled rejection or uncaught exception was logged");
    const internal = daemon.logs.filter((l) => l.msg === "Unhandled error in HTTP handler");
    assert.deepEqual(internal, [], "no request reached the 500 fallback");
  });
});
