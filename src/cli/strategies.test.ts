import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { recordFeedback } from "../feedback/feedback-store.ts";
import { refreshOutcomes } from "../feedback/outcomes.ts";
import { alertOf, insertInvestigation, resultOf } from "../feedback/test-fixtures.ts";
import { openDb } from "../store/db.ts";
import { migrate } from "../store/migrate.ts";
import { commandStrategies } from "./strategies.ts";

describe("src/cli/strategies", () => {
  const dir = mkdtempSync(join(tmpdir(), "vigil-strategies-"));

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the leaderboard of a class from the store", async () => {
    const db = await openDb({ dataDir: dir });
    await migrate(db);
    const alert = alertOf("DiskFull", { instance: "db-1" });
    await insertInvestigation(db, {
      id: "inv-cli",
      alert,
      result: resultOf(alert, "db-1", [{ name: "saturation", top: "db-1", durationMs: 700, toolCalls: 2 }]),
    });
    await recordFeedback(db, {
      investigationId: "inv-cli",
      userId: "U1",
      source: "web",
      verdict: "correct",
      authorized: true,
    });
    await refreshOutcomes(db, "inv-cli");
    await db.close();
    let text = "";
    let json = "";

    const code = await commandStrategies(["DiskFull"], { VIGIL_DATA_DIR: dir }, (t) => (text += t), {});
    await commandStrategies(["DiskFull{instance}", "--json"], { VIGIL_DATA_DIR: dir }, (t) => (json += t), {});

    assert.equal(code, 0);
    assert.match(text, /Strategy leaderboard: DiskFull\{instance\}/);
    assert.match(text, /saturation\s+67%/);
    const rows = JSON.parse(json) as Array<{ strategy: string; runs: number; successes: number }>;
    assert.deepEqual(
      rows.filter((r) => r.strategy === "saturation").map((r) => [r.runs, r.successes]),
      [[1, 1]],
    );
  });
});
