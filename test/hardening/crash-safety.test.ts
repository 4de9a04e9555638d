import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type FakeSlack, startFakeSlack } from "../fakes/slack-web-api.ts";
import { type DaemonProcess, eventually, startDaemon } from "../harness/daemon.ts";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.ts";
import { rawPost, sleep, webhookPayload } from "./helpers.ts";

const CHANNEL = "C0CRASH";

/** A Prometheus that answers every query with no data, after `delayMs`: investigations take seconds. */
async function startSlowPrometheus(delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    const timer = setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } }));
    }, delayMs);
    res.on("close", () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A small seeded generator, so the kill points are random but the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

interface Stored {
  status: string;
  slackChannel?: string;
  slackThreadTs?: string;
}

/**
 * Crash safety: the daemon is SIGKILLed at seeded random points — while a burst of webhooks is arriving, while
 * alerts are queued, while investigations run against a slow backend, while Slack is slow — and restarted on the
 * same data directory. Every alert answered 2xx ends `done` with exactly one summary message in its thread.
 */
describe("test/hardening/crash-safety: an accepted alert survives SIGKILL", () => {
  let dataDir: string;
  let slack: FakeSlack;
  let slackProxy: FaultProxy;
  let prometheus: Awaited<ReturnType<typeof startSlowPrometheus>>;
  let daemon: DaemonProcess | undefined;
  const accepted = new Map<string, string>(); // investigation id → alertname
  const random = seeded(9501);
  let service = 0;

  async function start(): Promise<DaemonProcess> {
    // Never leave a daemon behind when a step failed before killing it.
    if (daemon && daemon.child.exitCode === null) await daemon.stop("SIGKILL");
    return startDaemon({
      VIGIL_DATA_DIR: dataDir,
      PROMETHEUS_URL: prometheus.url,
      SLACK_BOT_TOKEN: "xoxb-crash-token",
      SLACK_SIGNING_SECRET: "crash-signing",
      SLACK_API_URL: `${slackProxy.url}/api/`,
      SLACK_CHANNEL: CHANNEL,
      VIGIL_CONCURRENCY: "2",
      VIGIL_STRATEGY_TIMEOUT_MS: "4000",
    });
  }

  /** Send `n` alerts at once (distinct services, so none is grouped into another); remember the 2xx ones. */
  async function burst(d: DaemonProcess, n: number): Promise<void> {
    await Promise.all(
      Array.from({ length: n }, async () => {
        service += 1;
        const alertname = `CrashProbe${service}`;
        const body = JSON.stringify(
          webhookPayload([
            {
              status: "firing",
              labels: { alertname, service: `svc-${service}` },
              annotations: {},
              startsAt: new Date(Date.now() - 60_000).toISOString(),
              fingerprint: `crash${service.toString().padStart(6, "0")}`,
            },
          ]),
        );
        try {
          const res = await rawPost(`${d.url}/webhooks/alertmanager`, body, undefined, { timeoutMs: 5000 });
          if (res.status >= 200 && res.status < 300) {
            const [a] = (JSON.parse(res.body) as { alerts: Array<{ investigationId: string; status: string }> }).alerts;
            if (a.status === "accepted") accepted.set(a.investigationId, alertname);
          }
        } catch {
          // killed mid-request: no 2xx, no promise
        }
      }),
    );
  }

  async function crash(d: DaemonProcess): Promise<void> {
    await d.stop("SIGKILL");
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "vigil-crash-"));
    slack = await startFakeSlack();
    slackProxy = await startFaultProxy(new URL(slack.url).origin, "slack", false);
    prometheus = await startSlowPrometheus(400);
  });

  after(async () => {
    if (daemon) await daemon.stop("SIGKILL");
    await Promise.allSettled([slackProxy?.close(), slack?.close(), prometheus?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Restart, wait until every accepted alert is done, and check each has exactly one summary in its thread. */
  async function assertEveryAcceptedAlertSummarizedOnce(ids: string[], waitMs: number): Promise<void> {
    daemon = await start();
    assert.ok(ids.length > 0, "some alerts were accepted");
    const d = daemon;
    const records = await eventually(
      async () => {
        const all = await Promise.all(
          ids.map(async (id) => {
            const res = await fetch(`${d.url}/api/investigations/${id}`);
            return [id, (await res.json()) as Stored] as const;
          }),
        );
        return all.every(([, r]) => r.status === "done") ? all : undefined;
      },
      waitMs,
      500,
    ).catch(async (error: Error) => {
      const stuck = await Promise.all(
        ids.map(async (id) => [
          id,
          ((await (await fetch(`${d.url}/api/investigations/${id}`)).json()) as Stored).status,
        ]),
      );
      throw new Error(`${error.message}; status: ${JSON.stringify(stuck.filter(([, s]) => s !== "done"))}`);
    });
    await sleep(1000);
    for (const [id, record] of records) {
      assert.ok(record.slackThreadTs, `${id} has a Slack thread`);
      const inThread = slack.calls.filter(
        (c) => c.method === "chat.postMessage" && c.status === 200 && c.args.thread_ts === record.slackThreadTs,
      );
      assert.equal(inThread.length, 1, `${accepted.get(id)}: one summary message in its thread`);
      const alertPosts = slack.calls.filter(
        (c) =>
          c.method === "chat.postMessage" &&
          c.status === 200 &&
          !c.args.thread_ts &&
          JSON.stringify(c.args).includes(`"${accepted.get(id)}`),
      );
      assert.equal(alertPosts.length, 1, `${accepted.get(id)}: the alert was posted to the channel once`);
    }
    await crash(d);
    daemon = undefined;
  }

  it("ends every 2xx alert with exactly one summary after a kill while a burst is being accepted", async () => {
    const before = new Set(accepted.keys());
    daemon = await start();
    const arriving = burst(daemon, 12);
    // Kill once the first answers are out and the rest of the burst is still in flight.
    const firstAnswers = accepted.size + 2;
    await eventually(async () => (accepted.size >= firstAnswers ? true : undefined), 20_000, 5);
    await sleep(Math.floor(random() * 30));
    await crash(daemon);
    await arriving;
    const ids = [...accepted.keys()].filter((id) => !before.has(id));
    await assertEveryAcceptedAlertSummarizedOnce(ids, 60_000);
  });

  it("ends every 2xx alert with exactly one summary after kills while queued, investigating and posting to Slack", async () => {
    const before = new Set(accepted.keys());
    daemon = await start();
    await burst(daemon, 4);
    await crash(daemon);
    daemon = await start();
    await burst(daemon, 4);
    await sleep(1500 + Math.floor(random() * 1000));
    await crash(daemon);
    slackProxy.setFault({ kind: "delay", ms: 1500 });
    daemon = await start();
    await burst(daemon, 3);
    const seen = slackProxy.requests.length;
    await eventually(async () => (slackProxy.requests.length > seen ? true : undefined), 20_000, 50);
    await sleep(Math.floor(random() * 1500));
    await crash(daemon);
    slackProxy.setFault({ kind: "none" });
    const ids = [...accepted.keys()].filter((id) => !before.has(id));
    await assertEveryAcceptedAlertSummarizedOnce(ids, 60_000);
  });
});
