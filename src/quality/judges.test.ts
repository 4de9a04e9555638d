import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InvestigationResult } from "../../agents/types.ts";
import {
  CRITERIA,
  DEFAULT_JUDGE_BUDGET,
  DETERMINISTIC_CRITERIA,
  judgeBulletCount,
  judgeCitesEvidence,
  judgeConcreteNextSteps,
  judgeConfidenceAgrees,
  judgeDeterministic,
  judgeInvestigation,
  judgeNamesComponent,
  judgeNoHiddenErrors,
  judgeNoSecrets,
  judgeWithinBudget,
  LLM_CRITERIA,
  tallyJudgments,
} from "./judges.ts";
import { abstainedResult, goodResult } from "./test-results.ts";

function withSummary(patch: Partial<InvestigationResult["summary"]>, base = goodResult()): InvestigationResult {
  return { ...base, summary: { ...base.summary, ...patch } };
}

describe("src/quality/judges (deterministic)", () => {
  it("passes every deterministic criterion on a good investigation, and on a clean abstention", () => {
    for (const result of [goodResult(), abstainedResult()]) {
      const criteria = judgeDeterministic(result);

      assert.deepEqual(
        criteria.map((c) => c.id),
        DETERMINISTIC_CRITERIA,
      );
      for (const c of criteria) assert.equal(c.passed, true, `${c.id}: ${c.reason}`);
    }
  });

  it("names a component or abstains: fails when the headline blames nothing", () => {
    const bad = withSummary({ headline: "ServiceErrorRateHigh on web", likelyCause: "error rate up" });

    assert.equal(judgeNamesComponent(goodResult()).passed, true);
    assert.equal(judgeNamesComponent(bad).passed, false);
    assert.match(judgeNamesComponent(bad).reason, /payments/);
  });

  it("claims cite evidence that resolves: fails on an unknown id and on a record without a reference", () => {
    const unknown = withSummary({
      evidence: [...goodResult().summary.evidence, { text: "made up", evidenceId: "ev-404" }],
    });
    const noRef = goodResult();
    const first = noRef.candidates[0];
    if (first) first.evidence = first.evidence.map((e, i) => (i === 0 ? { ...e, ref: " " } : e));

    assert.equal(judgeCitesEvidence(goodResult()).passed, true);
    assert.equal(judgeCitesEvidence(unknown).passed, false);
    assert.deepEqual(judgeCitesEvidence(unknown).evidence, ["cites unknown ev-404"]);
    assert.equal(judgeCitesEvidence(noRef).passed, false);
    assert.match(judgeCitesEvidence(noRef).evidence?.join() ?? "", /golden-signals-1 has no reference/);
  });

  it("confidence agrees with the abstain decision: fails when it reports a cause below the threshold", () => {
    const low = { ...goodResult(), confidence: 0.2, summary: { ...goodResult().summary, confidence: 0.2 } };
    const mismatch = withSummary({ confidence: 0.9 });

    assert.equal(judgeConfidenceAgrees(goodResult(), 0.35).passed, true);
    assert.equal(judgeConfidenceAgrees(low, 0.35).passed, false);
    assert.equal(judgeConfidenceAgrees(low, 0.1).passed, true, "the threshold is the caller's");
    assert.equal(judgeConfidenceAgrees(mismatch, 0.35).passed, false);
  });

  it("2–5 evidence bullets when not abstaining: fails on one and on six", () => {
    const bullets = goodResult().summary.evidence;
    const one = withSummary({ evidence: bullets.slice(0, 1) });
    const six = withSummary({ evidence: [...bullets, ...bullets, ...bullets] });

    assert.equal(judgeBulletCount(goodResult()).passed, true);
    assert.equal(judgeBulletCount(one).passed, false);
    assert.equal(judgeBulletCount(six).passed, false);
    assert.equal(judgeBulletCount(abstainedResult()).passed, true, "an abstention may show a single lead");
  });

  it("next steps concrete: a component, a query or a runbook passes; a platitude fails", () => {
    const vague = withSummary({ nextSteps: ["Investigate further.", "Check recent changes."] });
    const query = withSummary({ nextSteps: ['Run sum(rate(http_requests_total{code=~"5.."}[5m])) by (pod).'] });
    const runbook = withSummary({ nextSteps: ["Follow the runbook for error budget burn."] });
    const none = withSummary({ nextSteps: [] });

    assert.equal(judgeConcreteNextSteps(goodResult()).passed, true);
    assert.equal(judgeConcreteNextSteps(query).passed, true);
    assert.equal(judgeConcreteNextSteps(runbook).passed, true);
    assert.equal(judgeConcreteNextSteps(vague).passed, false);
    assert.equal(judgeConcreteNextSteps(none).passed, false);
  });

  it("no secret or customer identifier: fails on a token and on a known customer name, without quoting them", () => {
    const secret = withSummary({ whatIsGoingOn: "payments logs show token=ghp_abcdefghijklmnopqrstuvwxyz0123456789" });
    const customer = withSummary({ nextSteps: ["Inspect payments for the Globex Corp account."] });

    assert.equal(judgeNoSecrets(goodResult(), ["Globex Corp"]).passed, true);
    const leaked = judgeNoSecrets(secret);
    assert.equal(leaked.passed, false);
    assert.deepEqual(leaked.evidence, ["whatIsGoingOn: secret"]);
    assert.ok(!JSON.stringify(leaked).includes("ghp_"), "the judgment must not copy the secret");
    assert.equal(judgeNoSecrets(customer, ["globex corp"]).passed, false);
  });

  it("within budget: fails on a slow first finding, too many tool calls, tokens or cost", () => {
    const slow = goodResult({
      strategies: [
        { name: "golden-signals", durationMs: 90_000, toolCalls: 4, topCandidate: "payments", checked: [], errors: [] },
      ],
    });
    const spendy = goodResult({ llm: { used: true, promptTokens: 30_000, completionTokens: 1_000, costUsd: 0.5 } });

    assert.equal(judgeWithinBudget(goodResult(), DEFAULT_JUDGE_BUDGET).passed, true);
    assert.equal(judgeWithinBudget(slow, DEFAULT_JUDGE_BUDGET).passed, false);
    assert.match(judgeWithinBudget(slow, DEFAULT_JUDGE_BUDGET).reason, /first finding after 90000 ms/);
    assert.equal(judgeWithinBudget(spendy, DEFAULT_JUDGE_BUDGET).passed, false);
    assert.equal(judgeWithinBudget(goodResult(), { ...DEFAULT_JUDGE_BUDGET, maxToolCalls: 0 }).passed, false);
    assert.equal(
      judgeWithinBudget(spendy, { ...DEFAULT_JUDGE_BUDGET, maxTokens: 50_000, maxCostUsd: 0.1 }).passed,
      false,
    );
  });

  it("no tool error hidden: fails when a failed read is not mentioned, passes once it is disclosed", () => {
    const base = goodResult();
    const failed = goodResult({
      strategies: [
        { ...(base.strategies[0] as InvestigationResult["strategies"][number]), errors: ["logs: connection refused"] },
      ],
      toolCalls: [
        ...base.toolCalls,
        { ...(base.toolCalls[0] as InvestigationResult["toolCalls"][number]), backend: "loki", error: "HTTP 503" },
      ],
    });
    const disclosed = withSummary(
      {
        ruledOut: [
          ...base.summary.ruledOut,
          "golden-signals could not read: logs: connection refused",
          "loki unavailable (HTTP 503)",
        ],
      },
      failed,
    );

    assert.equal(judgeNoHiddenErrors(base).passed, true);
    const hidden = judgeNoHiddenErrors(failed);
    assert.equal(hidden.passed, false);
    assert.deepEqual(hidden.evidence, ["golden-signals: logs: connection refused", "loki: HTTP 503"]);
    assert.equal(judgeNoHiddenErrors(disclosed).passed, true);
  });

  it("marks the LLM criteria not judged without an LLM, never guessed", async () => {
    const judgment = await judgeInvestigation(goodResult());

    const llm = judgment.criteria.filter((c) => LLM_CRITERIA.includes(c.id));
    assert.equal(llm.length, 2);
    for (const c of llm) assert.equal(c.passed, null);
    assert.equal(judgment.judge.usage, undefined);
    assert.ok(judgment.judge.prompts["judge-headline"]?.match(/^[0-9a-f]{12}$/));
  });

  it("tallies pass ratios per criterion, leaving not-judged out of the ratio", async () => {
    const good = await judgeInvestigation(goodResult());
    const bad = await judgeInvestigation(withSummary({ nextSteps: ["Investigate further."] }));

    const tally = tallyJudgments([good, bad]);

    assert.deepEqual(tally[CRITERIA.concreteNextSteps], { passed: 1, failed: 1, notJudged: 0, ratio: 0.5 });
    assert.deepEqual(tally[CRITERIA.llmHeadline], { passed: 0, failed: 0, notJudged: 2, ratio: null });
  });
});
