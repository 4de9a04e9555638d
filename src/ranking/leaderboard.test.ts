import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { recordFeedback } from "../feedback/feedback-store.ts";
import { refreshOutcomes } from "../feedback/outcomes.ts";
import { alertOf, insertInvestigation, memoryDb, resultOf } from "../feedback/test-fixtures.ts";
import type { Db } from "../store/db.ts";
import { formatLeaderboard, leaderboard, leaderboardText, listAlertClasses } from "./leaderboard.ts";
import { createRankingOrder } from "./planner.ts";

describe("src/ranking/leaderboard on the store", () => {
  let db: Db;
  const latency = alertOf("HighLatency", { service: "web" });
  const crash = alertOf("PodCrashLooping", { pod: "x", namespace: "shop" });

  before(async () => {
    db = await memoryDb();
    // Four latency incidents: golden-signals finds the cause every time, kubernetes-health never does.
    for (let i = 0; i < 4; i++) {
      const id = `lat-${i}`;
      await insertInvestigation(db, {
        id,
        alert: latency,
        result: resultOf(latency, "postgres", [
          { name: "golden-signals", top: "postgres", durationMs: 2000, toolCalls: 10 },
          { name: "kubernetes-health", top: "web", durationMs: 500, toolCalls: 2 },
        ]),
      });
      await recordFeedback(db, {
        investigationId: id,
        userId: "U1",
        source: "button",
        verdict: "correct",
        authorized: true,
      });
      await refreshOutcomes(db, id);
    }
    // Three crash loops: kubernetes-health finds them; three outcomes outweigh the borrowed global prior.
    for (let i = 0; i < 3; i++) {
      const id = `crash-${i}`;
      await insertInvestigation(db, {
        id,
        alert: crash,
        result: resultOf(crash, "cart", [
          { name: "golden-signals", top: "web" },
          { name: "kubernetes-health", top: "cart" },
        ]),
      });
      await recordFeedback(db, {
        investigationId: id,
        userId: "U1",
        source: "button",
        verdict: "correct",
        authorized: true,
      });
      await refreshOutcomes(db, id);
    }
  });

  after(async () => {
    await db.close();
  });

  it("ranks the strategy that found the causes of a class first, with its interval, runs and cost", async () => {
    const rows = await leaderboard(db, "HighLatency{service}");

    assert.deepEqual(
      rows.map((r) => r.strategy),
      ["golden-signals", "kubernetes-health"],
    );
    const [top, bottom] = rows;
    assert.equal(top?.runs, 4);
    assert.equal(top?.successes, 4);
    assert.ok((top?.mean ?? 0) > 0.7 && (bottom?.mean ?? 1) < 0.3);
    assert.ok((top?.lower ?? 1) < (top?.mean ?? 0) && (top?.mean ?? 1) < (top?.upper ?? 0));
    assert.equal(Math.round(top?.meanDurationMs ?? 0), 2000);
    assert.equal(Math.round(top?.meanQueries ?? 0), 10);
  });

  it("lists the classes with history, busiest first", async () => {
    assert.deepEqual(await listAlertClasses(db), [
      { alertClass: "HighLatency{service}", runs: 4 },
      { alertClass: "PodCrashLooping{namespace,pod}", runs: 3 },
    ]);
  });

  it("answers /vigil strategies by alert name, full class key, or for everything", async () => {
    const byName = await leaderboardText(db, "PodCrashLooping");
    const all = await leaderboardText(db, undefined);
    const unknown = await leaderboardText(db, "Nope");

    assert.match(byName, /PodCrashLooping\{namespace,pod\}/);
    assert.match(byName.split("\n")[2] ?? "", /^kubernetes-health/);
    assert.match(all, /all alert classes/);
    assert.match(all, /HighLatency\{service\}\s+\(4 judged\)/);
    assert.match(unknown, /No feedback yet/);
  });

  it("orders strategies for a new latency alert from the store's statistics", async () => {
    const order = createRankingOrder({ db, rng: () => 0.5 });
    let goldenFirst = 0;
    const { mulberry32 } = await import("./beta.ts");
    const seeded = createRankingOrder({ db, rng: mulberry32(5) });
    for (let i = 0; i < 50; i++) {
      const plan = await seeded(["kubernetes-health", "golden-signals"], latency);
      if (plan.order[0] === "golden-signals") goldenFirst += 1;
    }

    assert.ok((await order(["kubernetes-health", "golden-signals"], latency)).order.length === 2);
    assert.ok(goldenFirst >= 40, `golden-signals first in ${goldenFirst}/50`);
  });

  it("formats an empty board without failing", () => {
    assert.match(formatLeaderboard([], "X{}"), /no outcomes yet/);
  });
});
