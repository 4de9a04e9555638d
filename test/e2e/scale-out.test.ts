import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { appMentionEvent, sendSlackEvent } from "../fakes/slack-events.ts";
import { startFakeSlack } from "../fakes/slack-web-api.ts";
import { type DaemonProcess, eventually, startDaemon } from "../harness/daemon.ts";
import { createTestDatabase } from "../helpers/postgres.ts";

/** A Prometheus that answers every query with an empty matrix after `delayMs`: investigations take a while. */
async function slowPrometheus(delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } }));
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Alertmanager re-sends an alert with the same fingerprint and start time: that is what makes it a duplicate.
const STARTS_AT = new Date(Date.now() - 60_000).toISOString();

function alert(i: number) {
  return {
    status: "firing",
    labels: { alertname: "ScaleOutTest", service: `svc-${i}`, severity: "warning" },
    annotations: {},
    startsAt: STARTS_AT,
    fingerprint: `scale${String(i).padStart(11, "0")}`,
  };
}

async function post(url: string, alerts: unknown[]) {
  const res = await fetch(`${url}/webhooks/alertmanager`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ version: "4", status: "firing", receiver: "vigil", alerts }),
  });
  assert.equal(res.status, 202);
  return (await res.json()) as { alerts: Array<{ status: string; investigationId: string }> };
}

const database = await createTestDatabase();
const skip = "skip" in database ? database.skip : undefined;
if (skip) console.log(`# skipping scale-out tests: ${skip}`);

describe("test/e2e/scale-out: several replicas on one Postgres", { skip }, () => {
  let url: string;
  let prometheus: Awaited<ReturnType<typeof slowPrometheus>>;
  const daemons: DaemonProcess[] = [];
  let client: pg.Client;

  before(async () => {
    if ("skip" in database) return;
    url = database.url;
    prometheus = await slowPrometheus(150);
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  after(async () => {
    for (const d of daemons) await d.stop("SIGKILL").catch(() => undefined);
    await client?.end();
    await prometheus?.close();
    if (!("skip" in database)) await database.drop();
  });

  function env() {
    return {
      DATABASE_URL: url,
      PROMETHEUS_URL: prometheus.url,
      VIGIL_GROUP_WINDOW_SECONDS: "0",
      VIGIL_CONCURRENCY: "2",
      VIGIL_JOB_EXPIRE_SECONDS: "10",
      LOG_LEVEL: "info",
    };
  }

  async function statuses() {
    const { rows } = await client.query<{ status: string; n: string }>(
      "SELECT status, count(*)::text AS n FROM vigil.investigations GROUP BY status",
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  it("investigates each of 100 alerts with duplicates exactly once across two replicas", async () => {
    const a = await startDaemon(env());
    daemons.push(a);
    const b = await startDaemon(env());
    daemons.push(b);
    // 70 distinct alerts, 30 of them sent a second time to the other replica.
    const sends: Array<[string, number]> = [];
    for (let i = 0; i < 70; i++) sends.push([i % 2 === 0 ? a.url : b.url, i]);
    for (let i = 0; i < 30; i++) sends.push([i % 2 === 0 ? b.url : a.url, i * 2]);
    const results = await Promise.all(sends.map(([u, i]) => post(u, [alert(i)])));
    const accepted = results.flatMap((r) => r.alerts).filter((x) => x.status === "accepted");
    assert.equal(accepted.length, 70);

    await eventually(async () => ((await statuses()).done === 70 ? true : undefined), 120_000, 500);
    const { rows } = await client.query<{ attempts: number }>("SELECT attempts FROM vigil.investigations");
    assert.equal(rows.length, 70, "duplicates started no investigation");
    assert.ok(
      rows.every((r) => r.attempts === 1),
      "no investigation ran twice",
    );
    // A replica writes "Investigation finished" just after it stores the result: give the last lines a moment.
    const finished = () =>
      new Set(
        [...a.logs, ...b.logs].filter((l) => l.msg === "Investigation finished").map((l) => String(l.investigationId)),
      );
    await eventually(async () => (finished().size >= 70 ? true : undefined), 10_000, 100).catch(() => undefined);
    const handledBy = finished();
    assert.equal(handledBy.size, 70);
    const aCount = a.logs.filter((l) => l.msg === "Investigation finished").length;
    const bCount = b.logs.filter((l) => l.msg === "Investigation finished").length;
    assert.equal(aCount + bCount, 70, "each investigation finished on exactly one replica");
    assert.ok(aCount > 0 && bCount > 0, `both replicas took work (a=${aCount}, b=${bCount})`);
  });

  it("finishes every investigation when a replica is killed with SIGKILL mid-run", async () => {
    const [a, b] = daemons;
    await client.query("DELETE FROM vigil.investigations");
    const batch = Array.from({ length: 30 }, (_, i) => alert(1000 + i));
    await post(a.url, batch.slice(0, 15));
    await post(b.url, batch.slice(15));
    await a.waitForLog((l) => l.msg === "Investigation finished", 60_000);
    await a.stop("SIGKILL");

    await eventually(async () => ((await statuses()).done === 30 ? true : undefined), 150_000, 1000);
    const { rows } = await client.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM vigil.investigations WHERE status <> 'done'",
    );
    assert.equal(rows[0].n, "0");
  });

  it("handles a Slack event delivered to both replicas once", async () => {
    // Replicas without Slack would take these jobs from the shared queue too: these two replace them.
    for (const d of daemons.splice(0)) await d.stop();
    const slack = await startFakeSlack();
    const secret = "scale-out-secret";
    const slackEnv = {
      ...env(),
      SLACK_BOT_TOKEN: "xoxb-scale",
      SLACK_SIGNING_SECRET: secret,
      SLACK_API_URL: slack.url,
    };
    const a = await startDaemon(slackEnv);
    daemons.push(a);
    const b = await startDaemon(slackEnv);
    daemons.push(b);
    try {
      const channel = "C0SCALE";
      const parent = slack.seedMessage(channel, {
        user: "U0AMBOT",
        text: "[FIRING:1] ScaleOutSlack (svc-slack warning)",
        attachments: [
          { title: "[FIRING:1] ScaleOutSlack", text: "*Labels:*\n• alertname: ScaleOutSlack\n• service: svc-slack" },
        ],
      });
      const mention = appMentionEvent({ channel, ts: "1700000500.000100", threadTs: parent.ts, user: "U0ONCALL" });
      slack.seedMessage(channel, {
        ts: "1700000500.000100",
        user: "U0ONCALL",
        text: "<@U0VIGIL> investigate",
        thread_ts: parent.ts,
      });

      const [first, second] = await Promise.all([
        sendSlackEvent(`${a.url}/slack/events`, secret, mention),
        sendSlackEvent(`${b.url}/slack/events`, secret, mention),
      ]);
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);

      await slack.waitFor(
        (c) => c.method === "chat.update" || (c.method === "chat.postMessage" && c.args.thread_ts === parent.ts),
        60_000,
      );
      await eventually(
        async () =>
          ((await statuses()).done ?? 0) >= 1 &&
          (
            await client.query("SELECT 1 FROM vigil.investigations WHERE slack_thread_ts = $1 AND status = 'done'", [
              parent.ts,
            ])
          ).rows.length === 1
            ? true
            : undefined,
        60_000,
        500,
      );
      const { rows } = await client.query("SELECT id FROM vigil.investigations WHERE slack_thread_ts = $1", [
        parent.ts,
      ]);
      assert.equal(rows.length, 1, "one investigation for the event, whichever replica got it");
      const threadPosts = slack.callsTo("chat.postMessage").filter((c) => c.args.thread_ts === parent.ts);
      assert.equal(threadPosts.length, 1, "one summary message in the thread");
    } finally {
      await slack.close();
    }
  });
});
