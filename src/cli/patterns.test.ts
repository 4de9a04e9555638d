import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Anonymizer } from "../../knowledge/anonymizer.ts";
import { LearnedPatternStore } from "../../knowledge/learned-patterns.ts";
import { proposePattern } from "../../knowledge/propose-pattern.ts";
import { sampleResult } from "../../knowledge/sample-investigation.ts";
import { type Db, openDb } from "../store/db.ts";
import { migrate } from "../store/migrate.ts";
import { runPatternsCommand } from "./patterns.ts";

let db: Db;
let tmp: string;
const anonymizer = new Anonymizer({ key: "cli-test", knownTerms: ["pricing-db", "frontend"] });

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await runPatternsCommand(args, {
    db,
    anonymizer,
    out: { write: (s: string) => (out += s) },
    reviewer: "alice",
  });
  return { code, out };
}

before(async () => {
  db = await openDb({ dataDir: "memory://" });
  await migrate(db);
  tmp = mkdtempSync(join(tmpdir(), "vigil-patterns-cli-"));
});
after(async () => {
  await db.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("src/cli/patterns", () => {
  it("lists, shows, approves, edits, exports and imports", async () => {
    const store = new LearnedPatternStore(db, { anonymizer });
    const { pattern } = await store.propose(proposePattern(sampleResult(), { service: "pricing-db" }, { anonymizer }));

    const listed = await run("list", "--status", "proposed");
    const shown = await run("show", pattern.id);
    const approved = await run("approve", pattern.id);
    const edited = await run(
      "edit",
      pattern.id,
      "--description",
      "frontend slow because pricing-db at 10.1.1.1 burns CPU",
    );
    const file = join(tmp, "out.json");
    const exported = await run("export", file);
    const rejected = await run("reject", pattern.id, "--reason", "duplicate");
    const imported = await run("import", file);

    assert.equal(listed.code, 0);
    assert.match(listed.out, new RegExp(`${pattern.id}\\s+proposed`));
    assert.match(shown.out, /cause:\s+svc-[0-9a-f]{6} \(pricing-db\)/);
    assert.match(approved.out, /approved/);
    assert.equal(edited.code, 0);
    const stored = await store.get(pattern.id);
    assert.ok(stored && !stored.description.includes("pricing-db") && !stored.description.includes("10.1.1.1"));
    assert.match(edited.out, /\(pricing-db\)/, "the CLI reveals names within the install");
    assert.match(exported.out, /exported 1 approved pattern/);
    assert.ok(!readFileSync(file, "utf8").includes("pricing-db"));
    assert.equal(rejected.code, 0);
    assert.match(imported.out, /imported 0 patterns .*1 already known/);
  });

  it("refuses an import carrying a customer term, listing it", async () => {
    const file = join(tmp, "planted.json");
    const { origin: _o, ...content } = proposePattern(
      sampleResult("a", "b"),
      { service: "b" },
      { anonymizer: new Anonymizer({ key: "x" }) },
    );
    writeFileSync(
      file,
      JSON.stringify({
        format: "vigil.learned-patterns",
        version: 1,
        exportedAt: new Date(0).toISOString(),
        patterns: [{ ...content, description: "frontend is down" }],
      }),
    );

    const result = await run("import", file);

    assert.equal(result.code, 1);
    assert.match(result.out, /import refused.*known-term "frontend"/);
  });

  it("answers usage errors with code 2 and the usage text", async () => {
    for (const args of [
      ["frobnicate"],
      ["show"],
      ["edit", "pat-123456"],
      ["list", "--status", "maybe"],
      ["list", "--bogus"],
    ]) {
      const result = await run(...args);

      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.out, /Usage: vigil patterns/);
    }
    const missing = await run("approve", "pat-000000");
    assert.equal(missing.code, 1);
    assert.match(missing.out, /no pattern with id pat-000000/);
  });
});
