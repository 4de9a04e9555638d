import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { betaCdf, betaInterval, betaQuantile, mulberry32, sampleBeta } from "./beta.ts";
import { buildStrategyStats, decayWeight, type OutcomeObservation, posteriorOf } from "./statistics.ts";

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.parse("2026-12-01T00:00:00Z");

function obs(
  alertClass: string,
  strategy: string,
  credit: number | null,
  ageDays: number,
  extra = {},
): OutcomeObservation {
  return {
    alertClass,
    strategy,
    credit,
    durationMs: 1000,
    toolCalls: 4,
    tokens: 0,
    occurredAt: NOW - ageDays * DAY,
    ...extra,
  };
}

function close(actual: number, expected: number, tolerance = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);
}

describe("src/ranking/beta", () => {
  it("computes Beta quantiles (Beta(2,1) has CDF x²)", () => {
    close(betaCdf(0.5, 2, 1), 0.25);
    close(betaQuantile(0.05, 2, 1), Math.sqrt(0.05), 1e-9);
    const [lo, hi] = betaInterval(2, 1, 0.9);
    close(lo, Math.sqrt(0.05), 1e-9);
    close(hi, Math.sqrt(0.95), 1e-9);
    const [ulo, uhi] = betaInterval(1, 1, 0.9);
    close(ulo, 0.05, 1e-9);
    close(uhi, 0.95, 1e-9);
  });

  it("samples Beta draws with the right mean, reproducibly from a seed", () => {
    const rng = mulberry32(7);
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) sum += sampleBeta(2, 5, rng);

    close(sum / n, 2 / 7, 0.01);
    assert.equal(sampleBeta(0.5, 0.5, mulberry32(1)), sampleBeta(0.5, 0.5, mulberry32(1)));
  });
});

describe("src/ranking/statistics", () => {
  it("halves an outcome's weight every half-life", () => {
    close(decayWeight(0, 30 * DAY), 1);
    close(decayWeight(30 * DAY, 30 * DAY), 0.5);
    close(decayWeight(90 * DAY, 30 * DAY), 0.125);
    close(decayWeight(-5 * DAY, 30 * DAY), 1, 0);
  });

  it("updates a Beta posterior with decayed successes and failures", () => {
    const stats = buildStrategyStats(
      [obs("C", "a", 1, 0), obs("C", "a", 0, 30), obs("C", "a", 1, 60), obs("C", "a", null, 0)],
      { now: NOW, halfLifeDays: 30 },
    );

    const p = posteriorOf(stats, "C", "a");

    // Prior Beta(1, 1) (no other class); successes 1 + 0.25, failures 0.5.
    close(p.alpha, 2.25);
    close(p.beta, 1.5);
    close(p.mean, 0.6);
    assert.equal(p.runs, 3, "the unjudged outcome counts for cost only");
    assert.equal(p.successes, 2);
  });

  it("lets a class without history borrow the strategy's global rate, scaled to the prior strength", () => {
    const stats = buildStrategyStats([obs("C", "a", 1, 0), obs("C", "a", 0, 30), obs("C", "a", 1, 60)], {
      now: NOW,
      halfLifeDays: 30,
    });

    const fresh = posteriorOf(stats, "D", "a");
    const strong = posteriorOf(stats, "D", "a", { priorStrength: 10 });

    // Global from class C: Beta(1 + 1.25, 1 + 0.5) → mean 0.6; prior strength 2 → Beta(1.2, 0.8).
    close(fresh.alpha, 1.2);
    close(fresh.beta, 0.8);
    close(fresh.mean, 0.6);
    close(strong.alpha, 6);
    assert.equal(fresh.runs, 0);
  });

  it("does not count a class's own history twice through the global prior", () => {
    const stats = buildStrategyStats([obs("C", "a", 1, 0), obs("C", "a", 1, 0)], { now: NOW });

    const p = posteriorOf(stats, "C", "a");

    close(p.prior.alpha, 1);
    close(p.prior.beta, 1);
    close(p.alpha, 3);
  });

  it("adds approved-pattern boosts as pseudo-successes of the named strategy only", () => {
    const stats = buildStrategyStats([], { now: NOW });
    const boosts = [
      { strategy: "a", weight: 1 },
      { strategy: "b", weight: 5 },
      { strategy: "a", weight: -3 },
    ];

    const p = posteriorOf(stats, "C", "a", { boosts });

    close(p.alpha, 2);
    close(p.beta, 1);
  });

  it("reports cost means of the class, falling back to the strategy's global cost", () => {
    const stats = buildStrategyStats(
      [
        obs("C", "a", 1, 0, { durationMs: 2000, toolCalls: 10, tokens: 100 }),
        obs("C", "a", 0, 0, { durationMs: 4000 }),
      ],
      { now: NOW },
    );

    const own = posteriorOf(stats, "C", "a");
    const borrowed = posteriorOf(stats, "D", "a");

    close(own.meanDurationMs ?? 0, 3000);
    close(own.meanQueries ?? 0, 7);
    close(own.meanTokens ?? 0, 50);
    close(borrowed.meanDurationMs ?? 0, 3000);
    assert.equal(posteriorOf(stats, "C", "unknown").meanDurationMs, undefined);
  });
});
