import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { main } from "../../src/main.ts";
import { FixtureError, loadFixtureCase } from "../../tools/fixture/loader.ts";

const CASE = "examples/incidents/cases/c-547345ca";
const SANE_EXIT_CODES = new Set([0, 64, 65, 66, 74, 78]);

/** Run `main(argv)` with stdout and stderr captured; restores them whatever happens. */
async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  // Writers that pipe into stdout (the test reporter) wait for the callback: always call it.
  const capture =
    (into: string[]) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      into.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      if (callback) process.nextTick(callback);
      return true;
    };
  process.stdout.write = capture(out) as typeof process.stdout.write;
  process.stderr.write = capture(err) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
}

/** A clear message: one `vigil:` line naming the problem, no stack trace. */
function assertClearError(result: { code: number; stderr: string }, argv: string[]): void {
  assert.ok(SANE_EXIT_CODES.has(result.code), `exit ${result.code} for ${JSON.stringify(argv)}: ${result.stderr}`);
  if (result.code !== 0) {
    assert.match(result.stderr, /^vigil: \S/, `message for ${JSON.stringify(argv)}`);
    assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, `no stack trace for ${JSON.stringify(argv)}`);
  }
}

describe("test/hardening/hostile-cli-fixture: the CLI and the fixture loader refuse bad input clearly", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "vigil-hardening-cli-"));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers unknown flags and stray arguments with exit 64 for every command", async () => {
    for (const argv of [
      ["--bogus"],
      ["investigate", "--bogus"],
      ["investigate", "--fixture", CASE, "--bogus"],
      ["eval", "--bogus", "x"],
      ["eval", "a", "b"],
      ["serve", "--port", "9"],
      ["serve", "extra"],
      ["migrate", "--force"],
      ["investigate"],
      ["investigate", "--fixture"],
      ["eval"],
      ["no-such-command"],
    ]) {
      const result = await runCli(argv);
      assert.equal(result.code, 64, `${JSON.stringify(argv)} → ${result.code}: ${result.stderr}`);
      assertClearError(result, argv);
      assert.match(result.stderr, /vigil --help/);
    }
  });

  it("names a missing or unreadable input and an unwritable output without a stack trace", async () => {
    const missingSet = await runCli(["eval", join(dir, "no-such-set")]);
    assert.equal(missingSet.code, 66);
    assertClearError(missingSet, ["eval"]);
    const missingCase = await runCli(["investigate", "--fixture", join(dir, "no-such-case")]);
    assert.equal(missingCase.code, 65);
    assert.match(missingCase.stderr, /manifest\.json is missing/);
    writeFileSync(join(dir, "a-file"), "");
    const unwritable = await runCli(["investigate", "--fixture", CASE, "--out", join(dir, "a-file", "sub", "r.json")]);
    assert.equal(unwritable.code, 74, unwritable.stderr);
    assertClearError(unwritable, ["--out", "a-file/sub/r.json"]);
  });

  it("never throws and always exits with a documented code on fuzzed argv", async () => {
    const token = fc.oneof(
      fc.constantFrom("--fixture", "--json", "--out", "--strategies", "--answers", "-h", "--", "-", "--=", "-x"),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: "binary", maxLength: 12 }),
      fc.constantFrom("\u0000", "../../..", "/dev/null", "'; rm -rf /", "%s%n"),
    );
    const argv = fc.oneof(
      fc.tuple(fc.constantFrom("investigate", "eval", "help", "--version", "nope"), fc.array(token, { maxLength: 6 })),
      // serve and migrate never get zero arguments here: they would start a daemon or touch a data dir.
      fc.tuple(fc.constantFrom("serve", "migrate"), fc.array(token, { minLength: 1, maxLength: 4 })),
      fc.tuple(token, fc.array(token, { maxLength: 4 })),
    );
    await fc.assert(
      fc.asyncProperty(argv, async ([command, rest]) => {
        const args = [command, ...rest];
        // Empty serve/migrate already excluded; a bare `serve` produced by the generic branch is skipped.
        if ((command === "serve" || command === "migrate") && rest.length === 0) return;
        let result: Awaited<ReturnType<typeof runCli>>;
        try {
          result = await runCli(args);
        } catch (error) {
          assert.fail(`main threw for ${JSON.stringify(args)}: ${(error as Error).stack}`);
        }
        assertClearError(result, args);
      }),
      { seed: 9101, numRuns: 150 },
    );
  });

  /** A fresh copy of the bundled case to damage. */
  function freshCase(name: string): string {
    const target = join(dir, name);
    rmSync(target, { recursive: true, force: true });
    cpSync(CASE, target, { recursive: true });
    return target;
  }

  function loadOutcome(
    caseDir: string,
  ): { ok: true; skipped: Record<string, number> } | { ok: false; message: string } {
    try {
      const loaded = loadFixtureCase(caseDir);
      return { ok: true, skipped: loaded.skipped };
    } catch (error) {
      assert.ok(error instanceof FixtureError, `a ${(error as Error)?.constructor?.name}: ${(error as Error)?.stack}`);
      assert.ok(error.message.length > 0 && error.message.length < 2000);
      return { ok: false, message: error.message };
    }
  }

  it("turns a corrupted manifest or alert into a FixtureError that names the file", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("manifest.json", "alert.json"),
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
          fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
          fc.constantFrom(
            Buffer.from(""),
            Buffer.from("{"),
            Buffer.from('{"version":1,"id":"x","window":{"start":"a","end":0},"now":0}'),
            Buffer.from('{"status":"firing","labels":{"a":1},"startsAt":"x"}'),
            Buffer.from('{"status":"firing","labels":{},"startsAt":"not a time"}'),
            Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
          ),
        ),
        (file, content) => {
          const caseDir = freshCase("manifest");
          writeFileSync(join(caseDir, file), content);
          const outcome = loadOutcome(caseDir);
          if (!outcome.ok) assert.match(outcome.message, /manifest|alert/, outcome.message);
        },
      ),
      { seed: 9102, numRuns: 60 },
    );
  });

  it("counts corrupted JSONL lines as skipped and refuses a broken gzip with a FixtureError", () => {
    const original = gzipSync(readFileSync(join(CASE, "logs.jsonl.gz"))).length;
    assert.ok(original > 0);
    fc.assert(
      fc.property(
        fc.constantFrom("metrics.jsonl.gz", "logs.jsonl.gz", "spans.jsonl.gz", "changes.jsonl", "k8s/events.jsonl"),
        fc.oneof(
          fc.record({
            kind: fc.constant("lines" as const),
            lines: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 20 }),
          }),
          fc.record({ kind: fc.constant("bytes" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 500 }) }),
          fc.record({ kind: fc.constant("truncated" as const), at: fc.nat({ max: 200 }) }),
        ),
        (file, damage) => {
          const caseDir = freshCase("jsonl");
          const path = join(caseDir, file);
          const gz = file.endsWith(".gz");
          let content: Buffer;
          let badLines = 0;
          if (damage.kind === "lines") {
            const text = damage.lines.map((l) => JSON.stringify(l)).join("\n");
            badLines = damage.lines.length;
            content = gz ? gzipSync(text) : Buffer.from(text);
          } else if (damage.kind === "bytes") {
            content = Buffer.from(damage.bytes);
          } else {
            const whole = readFileSync(path);
            content = whole.subarray(0, Math.min(damage.at, whole.length - 1));
          }
          writeFileSync(path, content);
          const outcome = loadOutcome(caseDir);
          if (!outcome.ok) {
            assert.ok(gz, `only a gzip can be unreadable as a whole: ${outcome.message}`);
            assert.match(outcome.message, /gunzip|cannot read/);
            assert.ok(outcome.message.includes(file), outcome.message);
          } else if (damage.kind === "lines" && badLines > 0) {
            const key = {
              "metrics.jsonl.gz": "metrics",
              "logs.jsonl.gz": "logs",
              "spans.jsonl.gz": "spans",
              "changes.jsonl": "changes",
              "k8s/events.jsonl": "events",
            }[file] as string;
            // Random JSON values are almost never valid records: most lines are counted, none crash the load.
            assert.ok((outcome.skipped[key] ?? 0) <= badLines);
          }
        },
      ),
      { seed: 9103, numRuns: 60 },
    );
  });

  it("refuses a data file that is a directory, and corrupted k8s objects or topology, without crashing", () => {
    const asDir = freshCase("as-dir");
    rmSync(join(asDir, "metrics.jsonl.gz"));
    mkdirSync(join(asDir, "metrics.jsonl.gz"));
    const outcome = loadOutcome(asDir);
    assert.equal(outcome.ok, false);
    if (!outcome.ok) assert.match(outcome.message, /metrics\.jsonl\.gz/);

    const objects = freshCase("objects");
    writeFileSync(join(objects, "k8s", "objects.json"), "{ not json");
    const objectsOutcome = loadOutcome(objects);
    assert.equal(objectsOutcome.ok, false);
    if (!objectsOutcome.ok) assert.match(objectsOutcome.message, /objects\.json/);

    const topology = freshCase("topology");
    writeFileSync(join(topology, "topology.json"), JSON.stringify({ nodes: "many", edges: 3 }));
    const topologyOutcome = loadOutcome(topology);
    assert.equal(topologyOutcome.ok, true);
    if (topologyOutcome.ok) assert.equal(topologyOutcome.skipped.topology, 1);
  });

  it("investigates a damaged case through the CLI with exit 0 or 65, never a stack trace", async () => {
    const damaged = freshCase("cli");
    writeFileSync(join(damaged, "logs.jsonl.gz"), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3]));
    const broken = await runCli(["investigate", "--fixture", damaged, "--json"]);
    assert.equal(broken.code, 65);
    assert.match(broken.stderr, /logs\.jsonl\.gz/);
    assertClearError(broken, ["investigate", "--fixture", "damaged"]);

    const partial = freshCase("cli-partial");
    writeFileSync(join(partial, "changes.jsonl"), 'garbage\n{"t":"x"}\n\u0000\u0001\n');
    const result = await runCli(["investigate", "--fixture", partial, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout) as { summary: { headline: string } };
    assert.ok(parsed.summary.headline.length > 0);
  });
});
