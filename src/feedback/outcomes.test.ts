import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Db } from "../store/db.ts";
import { recordFeedback, summarizeFeedback, type VerdictSummary } from "./feedback-store.ts";
import { computeOutcomes, listOutcomes, normalizeServiceName, refreshOutcomes, tokensByStrategy } from "./outcomes.ts";
import { alertOf, insertInvestigation, memoryDb, resultOf } from "./test-fixtures.ts";

const alert = alertOf("HighLatency", { service: "web" });
const result = resultOf(alert, "postgres", [
  { name: "golden-signals", top: "postgres", durationMs: 4000, toolCalls: 12 },
  { name: "kubernetes-health", top: "orders", durationMs: 1500, toolCalls: 5 },
  { name: "changes-first", durationMs: 300, toolCalls: 1 },
]);

function verdict(partial: Partial<VerdictSummary>): VerdictSummary {
  return { counts: { correct: 0, partial: 0, wrong: 0 }, hypotheses: [], unauthorized: 0, ...partial };
}

function credits(outcomes: ReturnType<typeof computeOutcomes>): Record<string, number | null> {
  return Object.fromEntries(outcomes.map((o) => [o.strategy, o.credit]));
}

describe("src/feedback/outcomes computeOutcomes", () => {
  it("credits the strategies whose top hypothesis was Vigil's confirmed top candidate", () => {
    const outcomes = computeOutcomes(result, verdict({ verdict: "correct" }));

    assert.deepEqual(credits(outcomes), { "golden-signals": 1, "kubernetes-health": 0, "changes-first": 0 });
    const golden = outcomes.find((o) => o.strategy === "golden-signals");
    assert.equal(golden?.durationMs, 4000);
    assert.equal(golden?.toolCalls, 12);
    assert.equal(golden?.confirmedService, "postgres");
  });

  it("gives half credit on Not quite", () => {
    assert.deepEqual(credits(computeOutcomes(result, verdict({ verdict: "partial" }))), {
      "golden-signals": 0.5,
      "kubernetes-health": 0,
      "changes-first": 0,
    });
  });

  it("on Wrong without a real cause, judges only the strategies that blamed the wrong service or found nothing", () => {
    assert.deepEqual(credits(computeOutcomes(result, verdict({ verdict: "wrong" }))), {
      "golden-signals": 0,
      "kubernetes-health": null,
      "changes-first": 0,
    });
  });

  it("lets a real cause win, matched by alias and by normalized name", () => {
    const outcomes = computeOutcomes(
      result,
      verdict({ verdict: "wrong", realCause: { service: "Orders-DB", description: "pool exhausted" } }),
      { aliases: (s) => (s === "orders" ? ["orders-db"] : []) },
    );

    assert.deepEqual(credits(outcomes), { "golden-signals": 0, "kubernetes-health": 1, "changes-first": 0 });
  });

  it("lets a per-hypothesis verdict override the strategy it names", () => {
    const outcomes = computeOutcomes(
      result,
      verdict({
        verdict: "correct",
        hypotheses: [
          { target: { strategy: "kubernetes-health", service: "orders" }, verdict: "partial", userId: "U1" },
        ],
      }),
    );

    assert.equal(credits(outcomes)["kubernetes-health"], 0.5);
  });

  it("normalizes namespace prefixes and cluster DNS names", () => {
    assert.equal(normalizeServiceName("shop/Checkout"), "checkout");
    assert.equal(normalizeServiceName("checkout.shop.svc.cluster.local"), "checkout");
    assert.equal(normalizeServiceName("svc-4c90"), "svc-4c90");
  });

  it("attributes LLM tokens to the strategy span they ran under", () => {
    const traced = {
      ...result,
      trace: {
        traceId: "t",
        spans: [
          { spanId: "s1", name: "strategy llm-explorer", kind: "strategy" as const },
          { spanId: "n1", parentSpanId: "s1", name: "explore", kind: "node" as const },
          {
            spanId: "l1",
            parentSpanId: "n1",
            name: "chat",
            kind: "llm" as const,
            attributes: { "gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 300 },
          },
          {
            spanId: "l2",
            name: "rewrite",
            kind: "llm" as const,
            attributes: { "gen_ai.usage.input_tokens": 999, "gen_ai.usage.output_tokens": 1 },
          },
        ].map((s) => ({ traceId: "t", startMs: 0, endMs: 1, status: "ok" as const, attributes: {}, ...s })),
      },
    };

    assert.deepEqual([...tokensByStrategy(traced)], [["llm-explorer", 1500]]);
  });
});

describe("src/feedback/outcomes refreshOutcomes", () => {
  let db: Db;

  before(async () => {
    db = await memoryDb();
    await insertInvestigation(db, { id: "inv-o1", alert, result });
  });

  after(async () => {
    await db.close();
  });

  it("persists one row per strategy from authorized feedback, and removes them when none is left", async () => {
    await recordFeedback(db, {
      investigationId: "inv-o1",
      userId: "U0NOBODY",
      source: "button",
      verdict: "correct",
      authorized: false,
    });
    const fromUnauthorized = await refreshOutcomes(db, "inv-o1");

    await recordFeedback(db, {
      investigationId: "inv-o1",
      userId: "U0ALICE",
      source: "modal",
      verdict: "wrong",
      realCause: { service: "orders", description: "" },
      authorized: true,
    });
    await refreshOutcomes(db, "inv-o1");
    const stored = await listOutcomes(db, "inv-o1");

    assert.deepEqual(fromUnauthorized, []);
    assert.equal(stored.length, 3);
    assert.deepEqual(
      stored.map((o) => [o.strategy, o.credit, o.confirmedService]),
      [
        ["changes-first", 0, "orders"],
        ["golden-signals", 0, "orders"],
        ["kubernetes-health", 1, "orders"],
      ],
    );
    assert.equal(summarizeFeedback([]).verdict, undefined);
  });
});
