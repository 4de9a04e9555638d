/**
 * The leak corpus test: 200+ secrets and customer identifiers seeded through fixture logs, Kubernetes events and
 * objects, metric labels and alerts. After investigating the cases, proposing and approving patterns from them
 * and exporting those, no seed may appear in the patterns store (raw rows), in the export file, and no secret in
 * the investigation summaries or the Slack messages rendered from them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import type { InvestigationResult } from "../../agents/types.ts";
import type { Anonymizer } from "../../knowledge/anonymizer.ts";
import { CustomerContextStore } from "../../knowledge/customer-context.ts";
import { LearnedPatternStore } from "../../knowledge/learned-patterns.ts";
import { exportPatterns } from "../../knowledge/pattern-exchange.ts";
import { proposePattern } from "../../knowledge/propose-pattern.ts";
import { formatSummary } from "../../src/cli/format-summary.ts";
import { investigateFixture } from "../../src/investigate-fixture.ts";
import { renderAlertMessage, renderSummary } from "../../src/slack/blocks.ts";
import { type Db, openDb } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { loadFixtureCase } from "../../tools/fixture/loader.ts";
import { buildLeakCorpus, type LeakCorpus, type Seed } from "./corpus.ts";

const SET_DIR = join(import.meta.dirname, "..", "..", "examples", "incidents");
/** Three systems' worth of shapes: a database outage, an OOM after a limit change, the anonymised ledger system. */
const CASE_IDS = ["c-547345ca", "c-755dac37", "c-f230fb2d"];

let tmp: string;
let db: Db;
let corpus: LeakCorpus;
let anonymizer: Anonymizer;
const results: InvestigationResult[] = [];
let exportText = "";
const proposeErrors: string[] = [];

/**
 * What to look for: the value, and for a name also its stem without the trailing number ("zetacorp-core" of
 * "zetacorp-core-72"), so a name whose digits were generalized away still counts as leaked.
 */
function needles(seed: Seed): string[] {
  const out = [seed.value.toLowerCase()];
  if (seed.kind.startsWith("customer-")) out.push(seed.value.toLowerCase().replace(/-\d+$/, ""));
  return out;
}

function leaksIn(haystack: string, seeds: Seed[]): Seed[] {
  const lower = haystack.toLowerCase();
  return seeds.filter((s) => needles(s).some((n) => lower.includes(n)));
}

function describeLeaks(leaks: Seed[]): string {
  return leaks.map((s) => `${s.kind} (${s.where}, ${s.caseId}): ${s.value}`).join("\n");
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "vigil-leak-"));
  corpus = buildLeakCorpus({ setDir: SET_DIR, caseIds: CASE_IDS, outDir: join(tmp, "cases") });
  db = await openDb({ dataDir: "memory://" });
  await migrate(db);
  const context = new CustomerContextStore(db);
  for (const term of corpus.knownTerms) {
    if (term.startsWith("team-")) continue;
    await context.upsertService("customer", { name: term });
  }
  anonymizer = await context.anonymizerFor("customer", "leak-test-install-key", corpus.knownTerms);
  const patterns = new LearnedPatternStore(db, { anonymizer });

  for (const c of corpus.cases) {
    const fixture = loadFixtureCase(c.dir);
    const result = await investigateFixture(fixture);
    results.push(result);
    try {
      const draft = proposePattern(
        result,
        { service: c.causeService, faultClass: c.faultClass as never },
        { anonymizer, topology: fixture.topology },
      );
      const { pattern } = await patterns.propose(draft);
      await patterns.approve(pattern.id, "U0LEAKTEST");
    } catch (error) {
      proposeErrors.push(`${c.id}: ${(error as Error).message}`);
    }
  }
  await context.flushPseudonyms(anonymizer);
  exportText = await exportPatterns(patterns, anonymizer);
});

after(async () => {
  await db?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("test/leak corpus", () => {
  it("seeds at least 200 secrets and identifiers, each really present in the copied fixtures", () => {
    const files = CASE_IDS.flatMap((id) =>
      ["alert.json", "logs.jsonl.gz", "metrics.jsonl.gz", "k8s/events.jsonl", "k8s/objects.json"].map((f) => {
        const raw = readFileSync(join(tmp, "cases", id, f));
        return f.endsWith(".gz") ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
      }),
    );
    const all = files.join("\n");
    // JSON escapes a private key's newlines and quotes; compare against the unescaped text too.
    const unescaped = all.replaceAll("\\n", "\n").replaceAll('\\"', '"');

    const missing = corpus.seeds.filter((s) => !all.includes(s.value) && !unescaped.includes(s.value));

    assert.ok(corpus.seeds.length >= 200, `only ${corpus.seeds.length} seeds`);
    assert.ok(corpus.seeds.filter((s) => s.secret).length >= 100);
    assert.deepEqual(missing, []);
  });

  it("proposes one approved pattern per confirmed investigation", async () => {
    const { rows } = await db.query<{ status: string }>("SELECT status FROM vigil.patterns");

    assert.deepEqual(proposeErrors, []);
    assert.equal(rows.length, CASE_IDS.length);
    assert.ok(rows.every((r) => r.status === "approved"));
  });

  it("keeps every seed out of the patterns store (raw rows of every patterns table)", async () => {
    const patterns = await db.query("SELECT * FROM vigil.patterns");
    const reviews = await db.query("SELECT * FROM vigil.pattern_reviews");
    const raw = JSON.stringify([patterns.rows, reviews.rows]);

    const leaks = leaksIn(raw, corpus.seeds);

    assert.equal(leaks.length, 0, `leaked into the patterns store:\n${describeLeaks(leaks)}`);
    assert.ok(!raw.includes("U0LEAKTEST"), "a reviewer's id is stored in clear");
  });

  it("keeps every seed out of the export file", () => {
    const leaks = leaksIn(exportText, corpus.seeds);

    assert.equal(JSON.parse(exportText).patterns.length, CASE_IDS.length);
    assert.equal(leaks.length, 0, `leaked into the export:\n${describeLeaks(leaks)}`);
  });

  it("keeps every secret out of the investigation summaries and the Slack messages", () => {
    const secrets = corpus.seeds.filter((s) => s.secret);
    const texts = results.map((result) =>
      JSON.stringify([result.summary, formatSummary(result), renderSummary(result, "inv-leak")]),
    );

    const leaks = leaksIn(texts.join("\n"), secrets);

    assert.equal(leaks.length, 0, `secrets leaked into summaries or Slack:\n${describeLeaks(leaks)}`);
  });

  it("keeps every secret out of the Slack alert message", () => {
    const secrets = corpus.seeds.filter((s) => s.secret);
    const texts = results.map((result) => JSON.stringify(renderAlertMessage(result.alert)));

    const leaks = leaksIn(texts.join("\n"), secrets);

    assert.equal(leaks.length, 0, `secrets leaked into the Slack alert message:\n${describeLeaks(leaks)}`);
  });

  it("keeps the pseudonym map on the customer side, where reveal works", async () => {
    const { rows } = await db.query<{ original: string }>("SELECT original FROM vigil.ctx_pseudonyms");
    const originals = new Set(rows.map((r) => r.original));

    assert.ok(corpus.cases.every((c) => originals.has(c.causeService)));
  });
});
