import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Alert } from "../../agents/types.ts";
import { alertClassOf } from "./alert-class.ts";
import { mulberry32 } from "./beta.ts";
import { createRankingOrder, planStrategies, thompsonOrder } from "./planner.ts";
import { buildStrategyStats, type OutcomeObservation } from "./statistics.ts";

const NOW = Date.parse("2026-12-01T00:00:00Z");
const CLASS = "HighLatency{service}";

function history(strategy: string, successes: number, failures: number, alertClass = CLASS): OutcomeObservation[] {
  const one = (credit: number): OutcomeObservation => ({
    alertClass,
    strategy,
    credit,
    durationMs: 1000,
    toolCalls: 3,
    tokens: 0,
    occurredAt: NOW,
  });
  return [...Array.from({ length: successes }, () => one(1)), ...Array.from({ length: failures }, () => one(0))];
}

describe("src/ranking/planner", () => {
  const stats = buildStrategyStats([...history("good", 18, 2), ...history("bad", 2, 18), ...history("meh", 5, 5)], {
    now: NOW,
  });

  it("puts a clearly better strategy first most of the time", () => {
    const rng = mulberry32(42);
    let first = 0;
    const trials = 500;
    for (let i = 0; i < trials; i++) {
      if (thompsonOrder(stats, CLASS, ["bad", "meh", "good"], { rng })[0]?.strategy === "good") first += 1;
    }

    assert.ok(first / trials > 0.85, `good was first in ${first}/${trials}`);
  });

  it("still gives an unexplored strategy the first slot sometimes under a tight budget", () => {
    const rng = mulberry32(1);
    let explored = 0;
    const trials = 1000;
    for (let i = 0; i < trials; i++) {
      const plan = planStrategies(stats, CLASS, ["good", "bad", "new"], { rng, maxStrategies: 1 });
      assert.equal(plan.order.length, 1);
      if (plan.order[0] === "new") explored += 1;
    }

    assert.ok(explored > 0, "the new strategy was never tried");
    assert.ok(explored / trials < 0.3, `the new strategy ran ${explored}/${trials} times: too often for no history`);
  });

  it("is reproducible with the same seed", () => {
    const a = planStrategies(stats, CLASS, ["good", "bad", "meh", "new"], { rng: mulberry32(9) });
    const b = planStrategies(stats, CLASS, ["good", "bad", "meh", "new"], { rng: mulberry32(9) });

    assert.deepEqual(a, b);
  });

  it("gives the top half the larger budget and the rest the base budget", () => {
    const plan = planStrategies(stats, CLASS, ["good", "bad", "meh", "new"], {
      rng: mulberry32(3),
      baseBudgetMs: 10_000,
      topBudgetFactor: 2,
    });

    assert.equal(plan.order.length, 4);
    const budgets = plan.order.map((name) => plan.budgets[name]);
    assert.deepEqual(budgets, [20_000, 20_000, 10_000, 10_000]);
  });

  it("gives the single strategy of a one-strategy plan the larger budget", () => {
    const plan = planStrategies(stats, CLASS, ["good"], { baseBudgetMs: 1000 });

    assert.deepEqual(plan, { order: ["good"], budgets: { good: 1500 } });
  });

  it("falls back to the registry order when the statistics cannot be read", async () => {
    const errors: unknown[] = [];
    const order = createRankingOrder({
      db: {
        query: async () => {
          throw new Error("store down");
        },
      },
      onError: (error) => errors.push(error),
    });
    const alert: Alert = {
      fingerprint: "f",
      alertname: "HighLatency",
      status: "firing",
      labels: { service: "web" },
      annotations: {},
      startsAt: NOW,
    };

    const plan = await order(["a", "b"], alert);

    assert.deepEqual(plan, { order: ["a", "b"], budgets: {} });
    assert.equal(errors.length, 1);
    assert.equal(alertClassOf(alert), CLASS);
  });
});
