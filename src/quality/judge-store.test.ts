import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Registry } from "prom-client";
import { type Db, openDb } from "../store/db.ts";
import { migrate } from "../store/migrate.ts";
import { type FeedbackVerdict, JudgeStore, normaliseVerdict, registerJudgeMetrics } from "./judge-store.ts";
import { CRITERIA, judgeInvestigation } from "./judges.ts";
import { abstainedResult, goodResult } from "./test-results.ts";
import { collectVersions, loadInvestigationVersions, saveInvestigationVersions } from "./versions.ts";

describe("src/quality/judge-store on PGlite", () => {
  let db: Db;
  const verdicts = new Map<string, FeedbackVerdict>();
  before(async () => {
    db = await openDb({ dataDir: "memory://" });
    await migrate(db);
  });
  after(() => db.close());

  it("stores a judgment and reads it back as it was", async () => {
    const judgment = await judgeInvestigation(goodResult());

    await new JudgeStore(db).save("inv-a", judgment, { alertClass: "ServiceErrorRateHigh", tenant: "t1" });
    const back = await new JudgeStore(db).get("inv-a");

    assert.ok(back);
    assert.equal(back.judgedAt, judgment.judgedAt);
    assert.deepEqual(back.judge.prompts, judgment.judge.prompts);
    const byId = (j: typeof judgment) => Object.fromEntries(j.criteria.map((c) => [c.id, c.passed]));
    assert.deepEqual(byId(back), byId(judgment));
    assert.equal(await new JudgeStore(db).get("inv-missing"), undefined);
  });

  it("computes pass ratios per criterion and alert class, leaving not-judged out", async () => {
    const store = new JudgeStore(db);
    const vague = goodResult();
    vague.summary = { ...vague.summary, nextSteps: ["Investigate further."] };
    await store.save("inv-b", await judgeInvestigation(vague), { alertClass: "ServiceErrorRateHigh" });
    await store.save("inv-c", await judgeInvestigation(abstainedResult()), { alertClass: "HighLatency" });

    const all = await store.passRatios();
    const byClass = await store.passRatios({ byAlertClass: true });

    const steps = all.find((r) => r.criterion === CRITERIA.concreteNextSteps);
    assert.deepEqual(steps, {
      criterion: CRITERIA.concreteNextSteps,
      alertClass: "*",
      passed: 2,
      failed: 1,
      notJudged: 0,
      ratio: 2 / 3,
    });
    const errorRate = byClass.find(
      (r) => r.criterion === CRITERIA.concreteNextSteps && r.alertClass === "ServiceErrorRateHigh",
    );
    assert.equal(errorRate?.ratio, 0.5);
    assert.equal(all.find((r) => r.criterion === CRITERIA.llmHeadline)?.ratio, null);
  });

  it("re-saving replaces the old judgment instead of double counting", async () => {
    const store = new JudgeStore(db);
    const before = (await store.passRatios()).find((r) => r.criterion === CRITERIA.namesComponent);

    await store.save("inv-a", await judgeInvestigation(goodResult()), { alertClass: "ServiceErrorRateHigh" });

    const afterSave = (await store.passRatios()).find((r) => r.criterion === CRITERIA.namesComponent);
    assert.deepEqual(afterSave, before);
  });

  it("measures agreement of a criterion with 👍/👎 through an injected verdict lookup", async () => {
    // inv-a passes next-steps and got 👍 (agree), inv-b fails it and got 👍 (disagree), inv-c has no feedback.
    verdicts.set("inv-a", "up");
    verdicts.set("inv-b", "up");
    const store = new JudgeStore(db, { verdictOf: (id) => verdicts.get(id) });

    const agreement = await store.agreement(CRITERIA.concreteNextSteps);

    assert.equal(agreement.n, 2);
    assert.equal(agreement.agree, 1);
    assert.equal(agreement.ratio, 0.5);
    assert.equal(agreement.failedUp, 1);
    assert.equal((await store.agreement(CRITERIA.llmHeadline)).n, 0, "not-judged criteria have nothing to agree on");
  });

  it("reads verdicts from a SQL view as well, and refuses a view name that is not a plain name", async () => {
    await db.exec(`CREATE TABLE test_feedback (investigation_id text, verdict text);
      INSERT INTO test_feedback VALUES ('inv-a', 'correct'), ('inv-b', 'wrong');
      CREATE VIEW test_verdicts AS SELECT investigation_id, verdict FROM test_feedback;`);
    const store = new JudgeStore(db, { verdictView: "test_verdicts" });

    const agreement = await store.agreement(CRITERIA.concreteNextSteps);

    assert.deepEqual({ n: agreement.n, agree: agreement.agree }, { n: 2, agree: 2 });
    assert.throws(() => new JudgeStore(db, { verdictView: "x; DROP TABLE vigil.judgments" }));
    assert.equal(normaliseVerdict("partial"), "down");
  });

  it("exports pass ratios per criterion and alert class as a Prometheus gauge", async () => {
    const registry = new Registry();
    registerJudgeMetrics(registry, new JudgeStore(db, { verdictOf: (id) => verdicts.get(id) }));
    registerJudgeMetrics(registry, new JudgeStore(db), {}); // twice is harmless

    const text = await registry.metrics();

    assert.match(
      text,
      /vigil_judge_pass_ratio\{criterion="next-steps-concrete",alert_class="ServiceErrorRateHigh"\} 0\.5/,
    );
    assert.match(text, /vigil_judge_pass_ratio\{criterion="next-steps-concrete",alert_class="HighLatency"\} 1/);
    assert.doesNotMatch(text, /criterion="llm-headline-says-what-is-broken"/, "nothing judged, no ratio");
    assert.match(text, /vigil_judge_feedback_agreement\{criterion="next-steps-concrete"\} 0\.5/);
  });

  it("records the versions that produced an investigation", async () => {
    const versions = collectVersions({ model: "qwen2.5" });

    await saveInvestigationVersions(db, "inv-a", versions);

    assert.deepEqual(await loadInvestigationVersions(db, "inv-a"), versions);
    assert.ok(versions.strategies["golden-signals"]?.match(/^[0-9a-f]{12}$/));
    assert.ok(versions.prompts["rewrite-summary"] && versions.prompts["judge-next-step"]);
  });
});
