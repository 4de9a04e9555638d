import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Alert, InvestigationResult } from "../../agents/types.ts";
import { testResult } from "../slack/test-fixtures.ts";
import { type Db, openDb } from "../store/db.ts";
import { InvestigationStore } from "../store/investigations.ts";
import { migrate } from "../store/migrate.ts";
import { filterValues, investigationStatus, listInvestigations, listQuerySchema } from "./queries.ts";
import { alertClassOf, resultsStrategyStats } from "./strategy-stats.ts";

function alert(n: number, alertname: string, service: string, extraLabels: Record<string, string> = {}): Alert {
  return {
    fingerprint: `fp-${n}`,
    alertname,
    status: "firing",
    labels: { alertname, service, severity: "critical", ...extraLabels },
    annotations: {},
    startsAt: Date.parse("2026-01-01T00:00:00Z") + n * 60_000,
    service,
  };
}

function result(a: Alert, options: { abstained: boolean; top: string[] }): InvestigationResult {
  const base = testResult({ alert: a });
  return {
    ...base,
    abstained: options.abstained,
    candidates: base.candidates.map((c) => ({ ...c, strategies: options.top })),
    strategies: [
      { name: "golden-signals", durationMs: 1000, toolCalls: 4, checked: [], errors: [] },
      { name: "k8s-health", durationMs: 3000, toolCalls: 2, checked: [], errors: [] },
    ],
  };
}

describe("src/web/queries on PGlite", () => {
  let db: Db;
  let store: InvestigationStore;
  const ids: string[] = [];

  before(async () => {
    db = await openDb({ dataDir: "memory://" });
    await migrate(db);
    store = new InvestigationStore(db);
    // 7 HighLatency on checkout, 3 ErrorBudget on payment; statuses vary.
    for (let n = 0; n < 10; n++) {
      const a = n < 7 ? alert(n, "HighLatency", "checkout") : alert(n, "ErrorBudget", "payment", { team: "pay" });
      const { record } = await store.createOrFind({ alert: a, source: "alertmanager" });
      ids.push(record.id);
      // Distinct creation times make the order deterministic.
      await db.query("UPDATE vigil.investigations SET created_at = $2 WHERE id = $1", [
        record.id,
        new Date(Date.parse("2026-01-01T00:00:00Z") + n * 1000),
      ]);
      if (n % 3 === 0) continue; // stays queued
      if (n === 4) {
        await store.fail(record.id, "backend down");
        continue;
      }
      await store.complete(
        record.id,
        result(a, { abstained: n === 8, top: n % 2 === 0 ? ["golden-signals"] : ["k8s-health"] }),
      );
    }
  });
  after(async () => {
    await db?.close();
  });

  it("lists newest first with the total and page count", async () => {
    const page = await listInvestigations(db, listQuerySchema.parse({ pageSize: "4" }));

    assert.equal(page.total, 10);
    assert.equal(page.pages, 3);
    assert.deepEqual(
      page.items.map((i) => i.id),
      [...ids].reverse().slice(0, 4),
    );
  });

  it("pages through without overlap", async () => {
    const pages = await Promise.all(
      [1, 2, 3].map((p) => listInvestigations(db, listQuerySchema.parse({ page: String(p), pageSize: "4" }))),
    );

    const seen = pages.flatMap((p) => p.items.map((i) => i.id));
    assert.equal(seen.length, 10);
    assert.equal(new Set(seen).size, 10);
    const beyond = await listInvestigations(db, listQuerySchema.parse({ page: "9", pageSize: "4" }));
    assert.deepEqual(beyond.items, []);
  });

  it("filters by status, service and alert name, together", async () => {
    const queued = await listInvestigations(db, listQuerySchema.parse({ status: "queued" }));
    const payment = await listInvestigations(db, listQuerySchema.parse({ service: "payment" }));
    const doneLatency = await listInvestigations(
      db,
      listQuerySchema.parse({ status: "done", alertname: "HighLatency", service: "checkout" }),
    );

    assert.equal(queued.total, 4); // n = 0, 3, 6, 9
    assert.ok(queued.items.every((i) => i.status === "queued"));
    assert.equal(payment.total, 3);
    assert.ok(payment.items.every((i) => i.service === "payment"));
    assert.deepEqual(doneLatency.items.map((i) => i.id).sort(), [ids[1], ids[2], ids[5]].sort());
  });

  it("treats blank filters as absent and rejects bad values", () => {
    const blank = listQuerySchema.parse({ status: "", service: " ", page: "" });

    assert.equal(blank.status, undefined);
    assert.equal(blank.service, undefined);
    assert.equal(blank.page, 1);
    assert.equal(blank.pageSize, 25);
    assert.equal(listQuerySchema.safeParse({ status: "exploded" }).success, false);
    assert.equal(listQuerySchema.safeParse({ pageSize: "5000" }).success, false);
    assert.equal(listQuerySchema.safeParse({ page: "0" }).success, false);
  });

  it("shows the likely cause, confidence and duration of finished investigations and the error of failed ones", async () => {
    const page = await listInvestigations(db, listQuerySchema.parse({ pageSize: "50" }));
    const done = page.items.find((i) => i.id === ids[1]);
    const failed = page.items.find((i) => i.id === ids[4]);

    assert.equal(done?.likelyCause, "cartservice memory exhaustion (OOMKilled, restarts)");
    assert.equal(done?.confidence, 0.72);
    assert.equal(done?.durationMs, 4200);
    assert.equal(done?.feedback, null);
    await db.query(
      `INSERT INTO vigil.feedback (investigation_id, user_id, source, verdict, authorized) VALUES ($1, 'U1', 'web', 'correct', true)`,
      [ids[1]],
    );
    const after = await listInvestigations(db, listQuerySchema.parse({ status: "done", service: "checkout" }));
    assert.equal(after.items.find((i) => i.id === ids[1])?.feedback, "correct");
    assert.equal(failed?.status, "failed");
    assert.equal(failed?.error, "backend down");
  });

  it("offers the known services and alert names as filter values", async () => {
    assert.deepEqual(await filterValues(db), {
      services: ["checkout", "payment"],
      alertnames: ["ErrorBudget", "HighLatency"],
    });
  });

  it("reads just the status for the live stream", async () => {
    const status = await investigationStatus(db, ids[4] ?? "");

    assert.equal(status?.status, "failed");
    assert.equal(await investigationStatus(db, "nope"), undefined);
  });

  it("ranks strategies per alert class from stored results", async () => {
    const board = await resultsStrategyStats(db).leaderboard();

    assert.deepEqual(
      board.map((c) => [c.alertClass, c.investigations]),
      [
        ["HighLatency{service,severity}", 3], // n = 1, 2, 5 done; queued and failed ones are not counted
        ["ErrorBudget{service,severity,team}", 2], // n = 7, 8
      ],
    );
    const latency = board[0];
    const golden = latency?.strategies.find((s) => s.strategy === "golden-signals");
    const k8s = latency?.strategies.find((s) => s.strategy === "k8s-health");
    // n = 2 credited golden-signals; n = 1 and 5 credited k8s-health.
    assert.deepEqual(golden, {
      strategy: "golden-signals",
      runs: 3,
      topCandidate: 1,
      abstentions: 0,
      meanDurationMs: 1000,
      meanToolCalls: 4,
    });
    assert.equal(k8s?.topCandidate, 2);
    assert.equal(latency?.strategies[0]?.strategy, "k8s-health", "the strategy that backed the cause most leads");
    const budget = board[1]?.strategies.find((s) => s.strategy === "golden-signals");
    // n = 8 abstained (its top candidate is not credited), n = 7 credited k8s-health.
    assert.equal(budget?.abstentions, 1);
    assert.equal(budget?.topCandidate, 0);
  });

  it("names alert classes by alert name and sorted label keys", () => {
    assert.equal(alertClassOf("HighLatency", ["severity", "service"]), "HighLatency{service,severity}");
  });

  it("returns an empty leaderboard when nothing has finished", async () => {
    const empty = await openDb({ dataDir: "memory://" });
    await migrate(empty);

    assert.deepEqual(await resultsStrategyStats(empty).leaderboard(), []);
    await empty.close();
  });
});
