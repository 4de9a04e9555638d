import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Db } from "../store/db.ts";
import {
  findInvestigationByMessage,
  listFeedback,
  recordFeedback,
  UnknownInvestigationError,
  verdictOf,
} from "./feedback-store.ts";
import { alertOf, insertInvestigation, memoryDb, resultOf } from "./test-fixtures.ts";

describe("src/feedback/feedback-store", () => {
  let db: Db;

  before(async () => {
    db = await memoryDb();
    const alert = alertOf("HighLatency", { service: "checkout" });
    for (const id of ["inv-1", "inv-2", "inv-3", "inv-4"]) {
      await insertInvestigation(db, { id, alert, result: resultOf(alert, "postgres", []) });
    }
    await insertInvestigation(db, { id: "inv-slack", alert, slackChannel: "C0ALERTS", slackMessageTs: "1700.0001" });
  });

  after(async () => {
    await db.close();
  });

  it("replaces a person's earlier verdict instead of adding a second one", async () => {
    await recordFeedback(db, {
      investigationId: "inv-1",
      userId: "U0ALICE",
      source: "button",
      verdict: "correct",
      authorized: true,
    });

    await recordFeedback(db, {
      investigationId: "inv-1",
      userId: "U0ALICE",
      source: "reaction",
      verdict: "wrong",
      authorized: true,
    });

    const rows = await listFeedback(db, "inv-1");
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.verdict, "wrong");
    assert.equal(rows[0]?.source, "reaction");
    assert.ok((rows[0]?.updatedAt.getTime() ?? 0) >= (rows[0]?.createdAt.getTime() ?? Infinity));
  });

  it("keeps the modal's details when the same verdict arrives again, drops them when the verdict changes", async () => {
    const base = { investigationId: "inv-2", userId: "U0BOB", authorized: true } as const;
    await recordFeedback(db, {
      ...base,
      source: "modal",
      verdict: "wrong",
      reason: "it was the database",
      realCause: { service: "postgres", description: "disk full" },
    });

    await recordFeedback(db, { ...base, source: "reaction", verdict: "wrong" });
    const kept = (await listFeedback(db, "inv-2"))[0];
    await recordFeedback(db, { ...base, source: "button", verdict: "correct" });
    const changed = (await listFeedback(db, "inv-2"))[0];

    assert.equal(kept?.reason, "it was the database");
    assert.deepEqual(kept?.realCause, { service: "postgres", description: "disk full" });
    assert.equal(changed?.verdict, "correct");
    assert.equal(changed?.reason, undefined);
    assert.equal(changed?.realCause, undefined);
  });

  it("keeps per-hypothesis feedback apart from the verdict on the whole investigation", async () => {
    await recordFeedback(db, {
      investigationId: "inv-3",
      userId: "U0CAROL",
      source: "button",
      verdict: "wrong",
      authorized: true,
    });
    await recordFeedback(db, {
      investigationId: "inv-3",
      userId: "U0CAROL",
      source: "web",
      verdict: "correct",
      target: { strategy: "kubernetes-health", service: "cart" },
      authorized: true,
    });

    const summary = await verdictOf(db, "inv-3");

    assert.equal((await listFeedback(db, "inv-3")).length, 2);
    assert.equal(summary.verdict, "wrong");
    assert.deepEqual(summary.hypotheses, [
      { target: { strategy: "kubernetes-health", service: "cart" }, verdict: "correct", userId: "U0CAROL" },
    ]);
  });

  it("aggregates only authorized feedback; ties go to the more doubtful verdict", async () => {
    const vote = (userId: string, verdict: "correct" | "partial" | "wrong", authorized: boolean) =>
      recordFeedback(db, { investigationId: "inv-4", userId, source: "button", verdict, authorized });
    await vote("U1", "correct", true);
    await vote("U2", "wrong", true);
    await vote("U3", "correct", false);
    await vote("U4", "correct", false);

    const tied = await verdictOf(db, "inv-4");
    await vote("U5", "correct", true);
    const majority = await verdictOf(db, "inv-4");

    assert.equal(tied.verdict, "wrong", "1 correct vs 1 wrong: unauthorized votes do not break the tie");
    assert.deepEqual(tied.counts, { correct: 1, partial: 0, wrong: 1 });
    assert.equal(tied.unauthorized, 2);
    assert.equal(majority.verdict, "correct");
  });

  it("rejects feedback on an investigation that does not exist", async () => {
    await assert.rejects(
      recordFeedback(db, {
        investigationId: "nope",
        userId: "U1",
        source: "button",
        verdict: "correct",
        authorized: true,
      }),
      UnknownInvestigationError,
    );
  });

  it("rejects input outside the schema (a verdict Slack never sends)", async () => {
    await assert.rejects(
      recordFeedback(db, {
        investigationId: "inv-1",
        userId: "U1",
        source: "button",
        verdict: "maybe" as "correct",
        authorized: true,
      }),
    );
  });

  it("finds an investigation by its summary message", async () => {
    assert.equal(await findInvestigationByMessage(db, "C0ALERTS", "1700.0001"), "inv-slack");
    assert.equal(await findInvestigationByMessage(db, "C0ALERTS", "1700.0002"), undefined);
    assert.equal(await findInvestigationByMessage(db, "C0OTHER", "1700.0001"), undefined);
  });
});
