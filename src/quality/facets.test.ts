import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { InvestigationResult } from "../../agents/types.ts";
import { type Db, openDb } from "../store/db.ts";
import { migrate } from "../store/migrate.ts";
import { alertClassOf, buildFacet, categorizeReason, FacetStore, facetTokens } from "./facets.ts";
import { JudgeStore } from "./judge-store.ts";
import { CRITERIA, judgeInvestigation } from "./judges.ts";
import { recordQuality } from "./record-quality.ts";
import { goodResult } from "./test-results.ts";
import { loadInvestigationVersions } from "./versions.ts";

function lokiDownResult(): InvestigationResult {
  const base = goodResult();
  return {
    ...base,
    alert: { ...base.alert, alertname: "AcmeCheckoutErrorsHigh", labels: { ...base.alert.labels, customer: "acme" } },
    strategies: [{ ...(base.strategies[0] as InvestigationResult["strategies"][number]), errors: ["logs: HTTP 503"] }],
    toolCalls: [
      ...base.toolCalls,
      { ...(base.toolCalls[0] as InvestigationResult["toolCalls"][number]), backend: "loki", error: "HTTP 503" },
    ],
    summary: {
      ...base.summary,
      whyNotHigher: [
        "no traces, change events available to check",
        "no service topology, so callers and callees could not be told apart",
      ],
    },
  };
}

describe("src/quality/facets", () => {
  it("builds a facet from typed fields only: no service, label, alert name or free text", async () => {
    const result = lokiDownResult();
    const judgment = await judgeInvestigation(result);

    const facet = buildFacet({
      investigationId: "inv-1",
      tenant: "acme",
      result,
      judgment,
      inventory: { runbook: false },
      feedback: { verdict: "down", reason: "blamed payments but the database was the real cause" },
    });

    assert.equal(facet.alertClass, "error-rate");
    assert.equal(facet.rootCauseClass, "code_error");
    assert.deepEqual(facet.missingSources, ["changes", "traces"]);
    assert.deepEqual(facet.failedSources, ["logs"]);
    assert.deepEqual(facet.missingInventory, ["runbook", "topology"]);
    assert.deepEqual(facet.judgeFailures, [CRITERIA.noHiddenErrors]);
    assert.equal(facet.reasonCategory, "wrong-cause");
    const tokens = facetTokens(facet).join(" ");
    for (const identifying of ["payments", "checkout", "Acme", "acme", "web", "database", "503"]) {
      assert.ok(!tokens.includes(identifying), `facet tokens carry ${identifying}`);
    }
  });

  it("classifies alerts and feedback reasons into fixed vocabularies", () => {
    const alert = (alertname: string) => ({ alert: { ...goodResult().alert, alertname } });

    assert.equal(alertClassOf(alert("CheckoutP99LatencyHigh")), "latency");
    assert.equal(alertClassOf(alert("KubePodCrashLooping")), "kubernetes");
    assert.equal(alertClassOf(alert("NodeDiskAlmostFull")), "saturation");
    assert.equal(alertClassOf(alert("Watchdog")), "other");
    assert.equal(categorizeReason("it could not see the logs"), "missing-data");
    assert.equal(categorizeReason("too generic to act on"), "not-actionable");
    assert.equal(categorizeReason(""), undefined);
  });
});

describe("src/quality/facets and record-quality on PGlite", () => {
  let db: Db;
  before(async () => {
    db = await openDb({ dataDir: "memory://" });
    await migrate(db);
  });
  after(() => db.close());

  it("stores facets, updates them with feedback later, and lists them", async () => {
    const store = new FacetStore(db);
    await store.save(buildFacet({ investigationId: "inv-f1", tenant: "t1", result: goodResult() }));

    await store.setFeedback("inv-f1", "down", "the summary was too slow to arrive");
    const [facet] = await store.list({ tenant: "t1" });

    assert.equal(facet?.verdict, "down");
    assert.equal(facet?.reasonCategory, "too-slow");
    assert.equal((await store.list({ tenant: "t2" })).length, 0);
  });

  it("records judgment, versions and facet of a finished investigation in one call, leaving the result as it was", async () => {
    const result = lokiDownResult();
    const before = structuredClone(result);

    const outcome = await recordQuality(db, { investigationId: "inv-q1", result, tenant: "t1" });

    assert.deepEqual(result, before);
    assert.equal((await new JudgeStore(db).get("inv-q1"))?.criteria.length, outcome.judgment.criteria.length);
    assert.deepEqual(await loadInvestigationVersions(db, "inv-q1"), outcome.versions);
    const stored = (await new FacetStore(db).list()).find((f) => f.investigationId === "inv-q1");
    assert.deepEqual(stored?.failedSources, ["logs"]);
    const ratios = await new JudgeStore(db).passRatios({ byAlertClass: true });
    assert.ok(
      ratios.some((r) => r.alertClass === "error-rate" && r.criterion === CRITERIA.noHiddenErrors && r.failed === 1),
    );
  });
});
