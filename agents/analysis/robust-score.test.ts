import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { minBaselinePoints, robustSpread, scoreSeries } from "./robust-score.ts";

function series(values: number[], stepMs = 60_000): Array<[number, number | null]> {
  return values.map((v, i) => [i * stepMs, v]);
}

describe("agents/analysis/robust-score", () => {
  it("scores a jump after the split in baseline spreads and finds its onset", () => {
    const points = series([10, 11, 10, 12, 11, 10, 40, 42]);
    const scored = scoreSeries(points, 6 * 60_000, "latency_p90");

    assert.ok(scored);
    assert.ok(scored.deviation > 10, `deviation ${scored.deviation}`);
    assert.equal(scored.observed, 42);
    assert.equal(scored.onsetAt, 6 * 60_000);
  });

  it("weights a CPU drop far below a CPU rise of the same size", () => {
    const rise = scoreSeries(series([50, 51, 50, 52, 51, 90]), 5 * 60_000, "cpu");
    const drop = scoreSeries(series([50, 51, 50, 52, 51, 10]), 5 * 60_000, "cpu");

    assert.ok(rise && drop);
    assert.ok(rise.score > 5 * drop.score);
  });

  it("treats a drop in success rate as the symptom that matters", () => {
    const drop = scoreSeries(series([100, 100, 99.9, 100, 100, 80]), 5 * 60_000, "success_rate");

    assert.ok(drop);
    assert.ok(drop.deviation < 0);
    assert.ok(drop.score > 3);
  });

  it("does not turn noise on a flat baseline into a large score", () => {
    const scored = scoreSeries(series([5, 5, 5, 5, 5, 5.01]), 5 * 60_000, "mem");

    assert.ok(scored);
    assert.ok(scored.score < 1, `score ${scored.score}`);
  });

  it("gives no score without enough baseline or with only gaps after the split", () => {
    assert.equal(scoreSeries(series([1, 2, 50]), 2 * 60_000, "cpu"), undefined);
    const gaps: Array<[number, number | null]> = [...series([1, 2, 1, 2]), [4 * 60_000, null]];
    assert.equal(scoreSeries(gaps, 4 * 60_000, "cpu"), undefined);
  });

  it("keeps a baseline partly made of another incident's tail from hiding a clear step", () => {
    // Two of six baseline points are the tail of a previous incident; the IQR would absorb them.
    const points = series([0.17, 0.75, 0.003, 0.003, 0.0034, 0.003, 0.75, 0.75, 0.75]);
    const scored = scoreSeries(points, 6 * 60_000, "latency_p50");

    assert.ok(scored);
    assert.ok(scored.deviation > 100, `deviation ${scored.deviation}`);
  });

  it("uses the IQR on a handful of baseline points, where the median absolute deviation collapses", () => {
    assert.equal(robustSpread([1, 1, 5], 1), 2);
  });

  it("tells a level that stayed out from one sample that strayed", () => {
    const stayed = scoreSeries(series([10, 11, 10, 12, 11, 10, 40, 41, 40]), 6 * 60_000, "latency_p90");
    const strayed = scoreSeries(series([10, 11, 10, 12, 11, 10, 40, 10, 11]), 6 * 60_000, "latency_p90");

    assert.ok(stayed && strayed);
    assert.ok(stayed.sustained > 10);
    assert.ok(strayed.sustained < 1, `sustained ${strayed.sustained}`);
    // One point after the split (coarse sampling): the peak is all there is.
    const single = scoreSeries(series([10, 11, 10, 12, 40]), 4 * 60_000, "latency_p90");
    assert.ok(single);
    assert.equal(single.sustained, single.score);
  });

  it("does not read a sub-percent change of a throttling ratio as an anomaly", () => {
    const scored = scoreSeries(series([0.001, 0.0009, 0.0011, 0.001, 0.0009, 0.007]), 5 * 60_000, "cpu_throttle");

    assert.ok(scored);
    assert.ok(scored.score < 1, `score ${scored.score}`);
  });

  it("sees a success rate falling from 100% to 94% as a sixfold failure rate, not noise", () => {
    const scored = scoreSeries(series([100, 99.9, 100, 100, 99.9, 100, 94]), 6 * 60_000, "success_rate");

    assert.ok(scored);
    assert.ok(scored.deviation < -3, `deviation ${scored.deviation}`);
    assert.ok(scored.score > 3, `score ${scored.score}`);
    assert.equal(scored.observed, 94);
    assert.equal(scored.baseline, 100);
  });

  it("asks for three baseline points, or two when the whole window's baseline is shorter than three steps", () => {
    const step = 60_000;
    const short = { window: { from: 0 }, splitAt: 2 * step, stepMs: step };
    const long = { window: { from: 0 }, splitAt: 10 * step, stepMs: step };
    const twoBefore = series([10, 11, 40, 41]);

    assert.equal(minBaselinePoints(short), 2);
    assert.equal(minBaselinePoints(long), 3);
    assert.equal(scoreSeries(twoBefore, 2 * step, "latency_p90"), undefined, "three by default");
    const scored = scoreSeries(twoBefore, 2 * step, "latency_p90", { minBaseline: minBaselinePoints(short) });
    assert.ok(scored && scored.score > 4, `score ${scored?.score}`);
    // Jitter on a two-point baseline stays under the 5%-of-level floor.
    const jitter = scoreSeries(series([10, 10.1, 10.2, 10.1]), 2 * step, "latency_p90", { minBaseline: 2 });
    assert.ok(jitter && jitter.score < 4, `score ${jitter?.score}`);
  });

  it("takes a previous episode at the start of the baseline for what it is, not for normal", () => {
    // CPU of a previous fault still running when the window began, a quiet stretch, then this incident.
    const contaminated = series([100, 98, 101, 3, 4, 3, 3.5, 88, 90]);
    const scored = scoreSeries(contaminated, 7 * 60_000, "cpu");

    assert.ok(scored);
    assert.ok(scored.baseline < 5, `baseline ${scored.baseline}`);
    assert.ok(scored.score > 10, `score ${scored.score}`);
  });

  it("keeps the whole baseline when the series stepped up inside it and stayed up: no hiding an early cause", () => {
    const steppedEarly = series([3, 4, 3, 3.5, 88, 90, 89, 91, 90]);
    const scored = scoreSeries(steppedEarly, 7 * 60_000, "cpu");

    assert.ok(scored);
    // Cutting the baseline at its step would make 89 the norm and the cause invisible.
    assert.ok(scored.baseline < 50, `baseline ${scored.baseline}`);
    assert.ok(scored.score > 4, `score ${scored.score}`);
  });
});
