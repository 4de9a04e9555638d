import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Alert } from "../../agents/types.ts";
import { type Config, loadConfig } from "../config.ts";
import { runEval } from "../eval/run-eval.ts";
import { parseAllowlist } from "../feedback/allowlist.ts";
import { createFeedbackService } from "../feedback/feedback-service.ts";
import { createLogger } from "../logger.ts";
import { recordQuality } from "../quality/record-quality.ts";
import type { InvestigationQueue } from "../queue/queue.ts";
import { HttpServer } from "../server/http-server.ts";
import { testResult } from "../slack/test-fixtures.ts";
import { type Db, openDb } from "../store/db.ts";
import { InvestigationStore } from "../store/investigations.ts";
import { migrate } from "../store/migrate.ts";
import { registerWebUi, webFeedbackRecorder } from "./routes.ts";

const TOKEN = "routes-test-token-0123456789";

function alert(n: number, service: string): Alert {
  return {
    fingerprint: `fp-${n}`,
    alertname: "HighLatency",
    status: "firing",
    labels: { alertname: "HighLatency", service },
    annotations: {},
    startsAt: Date.parse("2026-01-01T00:00:00Z") + n * 60_000,
    service,
  };
}

describe("src/web/routes: the UI and API on the daemon's server", () => {
  let db: Db;
  let store: InvestigationStore;
  let server: HttpServer;
  let url: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  let evalDir: string;
  let feedback: ReturnType<typeof createFeedbackService>;

  before(async () => {
    db = await openDb({ dataDir: "memory://" });
    await migrate(db);
    store = new InvestigationStore(db);
    feedback = createFeedbackService({ db, logger: createLogger("silent"), allowlist: parseAllowlist("") });
    evalDir = mkdtempSync(join(tmpdir(), "vigil-eval-runs-"));
    const config: Config = loadConfig({ VIGIL_UI_TOKEN: TOKEN, VIGIL_EVAL_DIR: evalDir });
    server = new HttpServer(createLogger("silent"));
    registerWebUi({
      server,
      db,
      store,
      queue: {} as InvestigationQueue,
      config,
      logger: createLogger("silent"),
      recordFeedback: webFeedbackRecorder(feedback),
    });
    const address = await server.listen(0, "127.0.0.1");
    url = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await server?.close();
    await db?.close();
  });

  it("answers every UI and API route with 401 without credentials", async () => {
    for (const path of [
      "/",
      "/ui/investigations",
      "/ui/investigations/x",
      "/ui/strategies",
      "/ui/insights",
      "/ui/compare",
      "/api/investigations",
      "/api/investigations/x",
      "/api/investigations/x/events",
      "/api/strategies",
    ]) {
      const res = await fetch(`${url}${path}`, { redirect: "manual" });

      assert.equal(res.status, 401, path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    }
  });

  it("shows an honest empty state before any investigation", async () => {
    const strategies = (await (await fetch(`${url}/api/strategies`, { headers: auth })).json()) as {
      alertClasses: unknown[];
    };
    const page = await (await fetch(`${url}/ui/strategies`, { headers: auth })).text();
    const list = await (await fetch(`${url}/ui/investigations`, { headers: auth })).text();

    assert.deepEqual(strategies.alertClasses, []);
    assert.match(page, /No finished investigations yet/);
    assert.match(list, /No investigations yet/);
  });

  it("trades ?token= for a cookie and a redirect to the same page without the token", async () => {
    const res = await fetch(`${url}/ui/investigations?status=done&token=${TOKEN}`, { redirect: "manual" });

    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/ui/investigations?status=done");
    const cookie = res.headers.get("set-cookie") ?? "";
    assert.match(cookie, /HttpOnly; SameSite=Lax/);
    const again = await fetch(`${url}/ui/investigations`, { headers: { cookie: cookie.split(";")[0] ?? "" } });
    assert.equal(again.status, 200);
  });

  it("serves pages with a nonce CSP, nosniff and no referrer", async () => {
    const res = await fetch(`${url}/ui/investigations`, { headers: auth });
    const body = await res.text();

    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce);
    assert.match(csp, /^default-src 'self'/);
    assert.ok(!csp.includes("unsafe-inline"));
    assert.ok(body.includes(`<style nonce="${nonce}">`));
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  });

  it("lists with filters and pagination, and rejects bad parameters with 400", async () => {
    for (let n = 0; n < 5; n++) {
      await store.createOrFind({ alert: alert(n, n < 3 ? "checkout" : "cart"), source: "alertmanager" });
    }

    const page = (await (await fetch(`${url}/api/investigations?pageSize=2&page=2`, { headers: auth })).json()) as {
      investigations: unknown[];
      total: number;
      pages: number;
    };
    const cart = (await (await fetch(`${url}/api/investigations?service=cart`, { headers: auth })).json()) as {
      total: number;
    };
    const bad = await fetch(`${url}/api/investigations?status=exploded`, { headers: auth });

    assert.equal(page.total, 5);
    assert.equal(page.pages, 3);
    assert.equal(page.investigations.length, 2);
    assert.equal(cart.total, 2);
    assert.equal(bad.status, 400);
  });

  it("redirects the Slack link /investigations/:id to the UI page and 404s unknown ids", async () => {
    const redirect = await fetch(`${url}/investigations/abc`, { headers: auth, redirect: "manual" });
    const missing = await fetch(`${url}/ui/investigations/nope`, { headers: auth });
    const missingApi = await fetch(`${url}/api/investigations/nope`, { headers: auth });

    assert.equal(redirect.headers.get("location"), "/ui/investigations/abc");
    assert.equal(missing.status, 404);
    assert.equal(missingApi.status, 404);
  });

  it("streams status changes until the investigation is done", async () => {
    const { record } = await store.createOrFind({ alert: alert(99, "payment"), source: "alertmanager" });
    const res = await fetch(`${url}/api/investigations/${record.id}/events`, { headers: auth });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);

    setTimeout(() => void store.markRunning(record.id), 100);
    setTimeout(() => void store.complete(record.id, testResult()), 1300);
    const text = await res.text();

    const statuses = [...text.matchAll(/^data: (.*)$/gm)].map(
      (m) => (JSON.parse(m[1] ?? "{}") as { status: string }).status,
    );
    assert.deepEqual(statuses, ["queued", "running", "done"]);
  });

  it("shows a running investigation with its live progress script", async () => {
    const { record } = await store.createOrFind({ alert: alert(100, "payment"), source: "alertmanager" });
    await store.markRunning(record.id);

    const res = await fetch(`${url}/ui/investigations/${record.id}`, { headers: auth });
    const body = await res.text();

    const nonce = /script-src 'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
    assert.ok(body.includes(`<script nonce="${nonce}">`));
    assert.match(body, /new EventSource/);
    assert.match(body, /<noscript><meta http-equiv="refresh"/);
  });

  it("shows the quality checklist of a finished investigation", async () => {
    const { record } = await store.createOrFind({ alert: alert(200, "cart"), source: "alertmanager" });
    const result = testResult();
    await store.complete(record.id, result);
    await recordQuality(db, { investigationId: record.id, result });

    const body = await (await fetch(`${url}/ui/investigations/${record.id}`, { headers: auth })).text();

    assert.match(body, /Quality checklist/);
    assert.match(body, /names-component-or-abstains|evidence/);
    assert.match(body, /badge (ok|error)/);
  });

  it("shows insights, honestly empty below the minimum cluster size", async () => {
    const res = await fetch(`${url}/ui/insights`, { headers: auth });
    const body = await res.text();

    assert.equal(res.status, 200);
    assert.match(body, /Insights/);
    assert.match(body, /No clusters yet|Cluster/);
  });

  it("compares two eval runs from VIGIL_EVAL_DIR case by case, and refuses paths outside it", async () => {
    const set = join(evalDir, "set");
    mkdirSync(join(set, "cases"), { recursive: true });
    mkdirSync(join(set, "answers"), { recursive: true });
    for (const id of ["c-547345ca", "c-cdf56f97"]) {
      cpSync(join("examples/incidents/cases", id), join(set, "cases", id), { recursive: true });
      cpSync(join("examples/incidents/answers", `${id}.json`), join(set, "answers", `${id}.json`));
    }
    await runEval({ setDir: set, outDir: join(evalDir, "all") });
    await runEval({ setDir: set, outDir: join(evalDir, "metrics-only"), strategies: ["golden-signals"] });

    const res = await fetch(`${url}/ui/compare?before=all&after=metrics-only`, { headers: auth });
    const body = await res.text();
    const outside = await fetch(`${url}/ui/compare?before=..&after=all`, { headers: auth });

    assert.equal(res.status, 200, body.slice(0, 500));
    assert.match(body, /Right → wrong/);
    assert.match(body, /AC@1/);
    assert.equal(outside.status, 404);
  });

  it("records per-hypothesis feedback from the investigation page, and refuses a service that is not a hypothesis", async () => {
    const { record } = await store.createOrFind({ alert: alert(300, "cart"), source: "alertmanager" });
    const result = testResult();
    await store.complete(record.id, result);
    const service = result.candidates[0]?.service ?? "";
    const post = (body: string) =>
      fetch(`${url}/ui/investigations/${record.id}/feedback`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
        body,
        redirect: "manual",
      });

    const page = await (await fetch(`${url}/ui/investigations/${record.id}`, { headers: auth })).text();
    const ok = await post(`verdict=wrong&service=${encodeURIComponent(service)}&strategy=golden-signals`);
    const bad = await post("verdict=correct&service=not-a-hypothesis");

    assert.match(page, /<form class="feedback" method="post"/);
    assert.equal(ok.status, 303);
    assert.equal(bad.status, 404);
    const { rows } = await db.query<{ verdict: string; target_service: string; source: string }>(
      "SELECT verdict, target_service, source FROM vigil.feedback WHERE investigation_id = $1",
      [record.id],
    );
    assert.deepEqual(rows, [{ verdict: "wrong", target_service: service, source: "web" }]);
  });
});
