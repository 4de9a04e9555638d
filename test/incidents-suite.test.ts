import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { generateIncidents, SCENARIOS } from "../scripts/generate-incidents.ts";
import { loadFixtureCase } from "../tools/fixture/loader.ts";

/** The committed suite under examples/incidents must be exactly what the generator produces with seed 42. */
const ROOT = join(import.meta.dirname, "..", "examples", "incidents");
const SEED = 42;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

function lines(path: string): unknown[] {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch {
    return [];
  }
  if (path.endsWith(".gz")) raw = gunzipSync(raw);
  return raw
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Every ISO timestamp string anywhere inside a JSON value. */
function isoTimes(value: unknown, out: number[] = []): number[] {
  if (typeof value === "string") {
    if (ISO.test(value)) out.push(Date.parse(value));
  } else if (Array.isArray(value)) {
    for (const v of value) isoTimes(v, out);
  } else if (value && typeof value === "object") {
    for (const v of Object.values(value)) isoTimes(v, out);
  }
  return out;
}

interface AnswerFile {
  caseId: string;
  rootCause: { service: string | null; entity: string | null; faultClass: string; indicator: string | null };
  aliases: string[];
  injectedAt: number | null;
  noFault: boolean;
  scenario: string;
}

const caseIds = readdirSync(join(ROOT, "cases")).sort();
const answerOf = (id: string): AnswerFile => JSON.parse(readFileSync(join(ROOT, "answers", `${id}.json`), "utf8"));

describe("examples/incidents suite", () => {
  let tmp = "";
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), "vigil-incidents-"));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("regenerates byte-identically from the script (seed 42)", () => {
    generateIncidents({ out: tmp, seed: SEED });
    const committed = walk(ROOT).map((p) => relative(ROOT, p));
    const fresh = walk(tmp).map((p) => relative(tmp, p));
    assert.deepEqual(fresh, committed, "file lists differ: rerun `npx tsx scripts/generate-incidents.ts`");
    for (const rel of committed) {
      const a = readFileSync(join(ROOT, rel));
      const b = readFileSync(join(tmp, rel));
      assert.ok(a.equals(b), `${rel} differs from a fresh generation: rerun the generator`);
    }
  });

  it("has enough fault cases, controls, systems, resolutions and every scenario", () => {
    const answers = caseIds.map(answerOf);
    const faults = answers.filter((a) => !a.noFault);
    const controls = answers.filter((a) => a.noFault);
    assert.ok(faults.length >= 20, `fault cases: ${faults.length}`);
    assert.ok(controls.length >= 5, `controls: ${controls.length}`);
    const manifests = caseIds.map((id) => JSON.parse(readFileSync(join(ROOT, "cases", id, "manifest.json"), "utf8")));
    assert.ok(new Set(manifests.map((m) => m.system)).size >= 2, "at least two systems");
    assert.ok(new Set(manifests.map((m) => m.stepMs)).size >= 3, "at least three step sizes");
    const present = new Set(answers.map((a) => a.scenario));
    for (const s of SCENARIOS) assert.ok(present.has(s), `scenario ${s} is missing`);
    for (const c of controls) {
      assert.equal(c.rootCause.service, null);
      assert.equal(c.rootCause.faultClass, "none");
    }
  });

  for (const id of caseIds) {
    it(`case ${id} loads cleanly and holds nothing after now`, () => {
      const dir = join(ROOT, "cases", id);
      const fx = loadFixtureCase(dir);
      assert.deepEqual(fx.skipped, {}, `skipped lines: ${JSON.stringify(fx.skipped)}`);
      const now = fx.manifest.now;
      assert.equal(fx.manifest.id, id);
      assert.ok(fx.alert.startsAt <= now, "alert starts after now");
      assert.ok(fx.series.length > 0 && fx.logs.length > 0 && fx.topology, "metrics, logs and topology present");

      // Raw files, not the loader's filtered view: nothing may lie after `now`.
      for (const s of lines(join(dir, "metrics.jsonl.gz")) as Array<{ points: Array<[number, number | null]> }>)
        for (const [t] of s.points) assert.ok(t <= now && t >= fx.manifest.window.start, `metric point at ${t}`);
      for (const l of lines(join(dir, "logs.jsonl.gz")) as Array<{ t: number }>) assert.ok(l.t <= now, `log at ${l.t}`);
      for (const s of lines(join(dir, "spans.jsonl.gz")) as Array<{ startMs: number; durationMs: number }>)
        assert.ok(s.startMs + s.durationMs <= now, "span ends after now");
      for (const c of lines(join(dir, "changes.jsonl")) as Array<{ t: number }>)
        assert.ok(c.t <= now, `change at ${c.t}`);
      for (const e of lines(join(dir, "k8s", "events.jsonl")))
        for (const t of isoTimes(e)) assert.ok(t <= now, "event after now");
      const objects = JSON.parse(readFileSync(join(dir, "k8s", "objects.json"), "utf8"));
      for (const t of isoTimes(objects)) assert.ok(t <= now, "object timestamp after now");
      assert.equal(
        fx.series.length,
        (lines(join(dir, "metrics.jsonl.gz")) as unknown[]).length,
        "a series lost all points",
      );

      const answer = answerOf(id);
      assert.equal(answer.caseId, id);
      if (!answer.noFault) {
        const svc = answer.rootCause.service as string;
        const nodeIds = new Set(fx.topology?.nodes.map((n) => n.id));
        assert.ok(nodeIds.has(svc), `root cause ${svc} is not a topology node`);
        assert.ok(
          fx.series.some((s) => s.labels.service === svc),
          `root cause ${svc} has no metrics`,
        );
        assert.ok(answer.aliases.includes(svc) || answer.aliases.length > 0);
        assert.ok((answer.injectedAt as number) <= fx.alert.startsAt, "injection after the alert");
      }
    });
  }
});
