import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { InvestigationResult } from "../../agents/types.ts";
import { type FixtureCase, loadFixtureCase } from "../../tools/fixture/loader.ts";
import { fixtureChangeRef, fixtureLogRef } from "../../tools/fixture/more-sources.ts";
import { type Answer, answerSchema } from "../../tools/fixture/schema.ts";
import { fixtureSeriesRef } from "../../tools/fixture/sources.ts";
import { investigateFixture } from "../investigate-fixture.ts";
import { type CriterionTally, type Judgment, tallyJudgments } from "../quality/judges.ts";
import { collectVersions, type Versions } from "../quality/versions.ts";
import { BASELINES } from "./baselines.ts";

export interface EvalOptions {
  setDir: string;
  answersDir?: string;
  outDir?: string;
  strategies?: string[];
  onCase?: (caseId: string, index: number, total: number) => void;
  /** Quality judges run on every case (e.g. `(r) => judgeInvestigation(r, { llm })`); written to `outDir/judgments/`. */
  judge?: (result: InvestigationResult) => Promise<Judgment> | Judgment;
  /** The model name to record in `versions`, when the run used an LLM. */
  model?: string;
}

/** Scores of one method (Vigil or a baseline) over a group of cases. */
export interface MethodScores {
  cases: number;
  ac1: number;
  ac3: number;
  ac5: number;
  avg5: number;
}

export interface GroupScores {
  faultCases: number;
  controlCases: number;
  vigil: MethodScores & {
    faultClassAccuracy: number;
    abstainOnControls: number;
    falseAlarms: number;
    abstainOnFaults: number;
  };
  baselines: Record<string, MethodScores>;
}

export interface CaseOutcome {
  caseId: string;
  system: string;
  faultClass: string;
  noFault: boolean;
  rootCause?: string;
  vigilRank?: number;
  top?: string;
  abstained: boolean;
  confidence: number;
  durationMs: number;
  grounded: boolean;
  baselineRanks: Record<string, number | undefined>;
}

export interface EvalReport {
  setDir: string;
  cases: number;
  overall: GroupScores;
  bySystem: Record<string, GroupScores>;
  byFaultClass: Record<string, GroupScores>;
  evidenceGrounding: number;
  timing: { p50Ms: number; p95Ms: number; maxMs: number };
  outcomes: CaseOutcome[];
  /** What produced this run (also written to `outDir/versions.json`), so runs can be compared. */
  versions?: Versions;
  /** Judge pass ratios per criterion, when a judge ran. */
  judges?: Record<string, CriterionTally>;
}

function rankOf(ranking: string[], answer: Answer): number | undefined {
  const names = new Set([answer.rootCause?.service, ...answer.aliases].filter(Boolean) as string[]);
  const index = ranking.findIndex((s) => names.has(s));
  return index < 0 ? undefined : index + 1;
}

/** The evidence references a fixture can reopen, by evidence type. */
function fixtureRefs(fixture: FixtureCase): Record<string, Set<string>> {
  const objectRefs = [...fixture.k8sObjects, ...fixture.k8sEvents].flatMap((o) => {
    const obj = o as { kind?: string; metadata?: { name?: string; namespace?: string } };
    return obj.metadata?.name
      ? [`k8s:${obj.kind ?? "Object"}/${obj.metadata.namespace ?? ""}/${obj.metadata.name}`]
      : [];
  });
  return {
    metric: new Set(fixture.series.map((s) => fixtureSeriesRef(s))),
    log: new Set(fixture.logs.map((l) => fixtureLogRef(l.labels.service, l.t))),
    trace: new Set(fixture.spans.map((s) => `trace:${s.traceId}`)),
    k8s: new Set(objectRefs),
    change: new Set(fixture.changes.map((c) => fixtureChangeRef(c))),
  };
}

/** Every evidence reference must reopen something inside the fixture. */
function grounded(result: InvestigationResult, fixture: FixtureCase): boolean {
  const refs = fixtureRefs(fixture);
  for (const c of result.candidates) {
    for (const e of c.evidence) {
      const known = refs[e.type];
      if (!known?.has(e.ref)) return false;
    }
  }
  return true;
}

function methodScores(ranks: Array<number | undefined>): MethodScores {
  const n = ranks.length;
  const at = (k: number) => (n === 0 ? 0 : ranks.filter((r) => r !== undefined && r <= k).length / n);
  const ac = [1, 2, 3, 4, 5].map(at);
  return { cases: n, ac1: ac[0], ac3: ac[2], ac5: ac[4], avg5: ac.reduce((a, b) => a + b, 0) / 5 };
}

function groupScores(
  outcomes: CaseOutcome[],
  answers: Map<string, Answer>,
  results: Map<string, InvestigationResult>,
): GroupScores {
  const faults = outcomes.filter((o) => !o.noFault);
  const controls = outcomes.filter((o) => o.noFault);
  const vigil = methodScores(faults.map((o) => o.vigilRank));
  const classHits = faults.filter((o) => {
    const r = results.get(o.caseId);
    return r?.candidates[0]?.faultClass === answers.get(o.caseId)?.rootCause?.faultClass;
  }).length;
  const baselines: Record<string, MethodScores> = {};
  for (const name of Object.keys(BASELINES)) baselines[name] = methodScores(faults.map((o) => o.baselineRanks[name]));
  return {
    faultCases: faults.length,
    controlCases: controls.length,
    vigil: {
      ...vigil,
      faultClassAccuracy: faults.length ? classHits / faults.length : 0,
      abstainOnControls: controls.length ? controls.filter((o) => o.abstained).length / controls.length : 0,
      falseAlarms: controls.length ? controls.filter((o) => !o.abstained).length / controls.length : 0,
      abstainOnFaults: faults.length ? faults.filter((o) => o.abstained).length / faults.length : 0,
    },
    baselines,
  };
}

function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** Investigate every case of a fixture set; score against its answers when they exist. Never reads answers first. */
export async function runEval(options: EvalOptions): Promise<EvalReport> {
  const casesDir = join(options.setDir, "cases");
  if (!existsSync(casesDir)) throw new Error(`${options.setDir} is not a fixture set: cases/ is missing`);
  const answersDir = options.answersDir ?? join(options.setDir, "answers");
  const ids = readdirSync(casesDir).sort();
  const versions = collectVersions({ model: options.model });
  if (options.outDir) {
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, "versions.json"), `${JSON.stringify(versions, null, 2)}\n`);
    // Where the run came from, so a later comparison (CLI or web UI) finds the same answers.
    writeFileSync(
      join(options.outDir, "run.json"),
      `${JSON.stringify({ setDir: resolve(options.setDir), answersDir: resolve(answersDir), startedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    if (options.judge) mkdirSync(join(options.outDir, "judgments"), { recursive: true });
  }
  const judgments: Judgment[] = [];
  const outcomes: CaseOutcome[] = [];
  const answers = new Map<string, Answer>();
  const results = new Map<string, InvestigationResult>();
  for (const [i, id] of ids.entries()) {
    options.onCase?.(id, i + 1, ids.length);
    const fixture = loadFixtureCase(join(casesDir, id));
    const result = await investigateFixture(fixture, { strategies: options.strategies });
    if (options.outDir) writeFileSync(join(options.outDir, `${id}.json`), `${JSON.stringify(result, null, 2)}\n`);
    results.set(id, result);
    if (options.judge) {
      const judgment = await options.judge(result);
      judgments.push(judgment);
      if (options.outDir) {
        writeFileSync(join(options.outDir, "judgments", `${id}.json`), `${JSON.stringify(judgment, null, 2)}\n`);
      }
    }
    // Answers are read only after the investigation of the case is done.
    const answerPath = join(answersDir, `${id}.json`);
    if (!existsSync(answerPath)) continue;
    const answer = answerSchema.parse(JSON.parse(readFileSync(answerPath, "utf8")));
    answers.set(id, answer);
    const ranking = result.candidates.map((c) => c.service);
    const baselineRanks: Record<string, number | undefined> = {};
    for (const [name, baseline] of Object.entries(BASELINES))
      baselineRanks[name] = rankOf(baseline(fixture, i + 1), answer);
    outcomes.push({
      caseId: id,
      system: fixture.manifest.system,
      faultClass: answer.noFault ? "none" : (answer.rootCause?.faultClass ?? "unknown"),
      noFault: answer.noFault,
      rootCause: answer.rootCause?.service ?? undefined,
      vigilRank: answer.noFault ? undefined : rankOf(ranking, answer),
      top: ranking[0],
      abstained: result.abstained,
      confidence: result.confidence,
      durationMs: result.durationMs,
      grounded: grounded(result, fixture),
      baselineRanks,
    });
  }
  const groupBy = (key: (o: CaseOutcome) => string) => {
    const groups: Record<string, GroupScores> = {};
    const keys = [...new Set(outcomes.map(key))].sort();
    for (const k of keys)
      groups[k] = groupScores(
        outcomes.filter((o) => key(o) === k),
        answers,
        results,
      );
    return groups;
  };
  const durations = [...results.values()].map((r) => r.durationMs);
  return {
    setDir: options.setDir,
    cases: ids.length,
    overall: groupScores(outcomes, answers, results),
    bySystem: groupBy((o) => o.system),
    byFaultClass: groupBy((o) => o.faultClass),
    evidenceGrounding: outcomes.length ? outcomes.filter((o) => o.grounded).length / outcomes.length : 1,
    timing: { p50Ms: percentile(durations, 0.5), p95Ms: percentile(durations, 0.95), maxMs: Math.max(0, ...durations) },
    outcomes,
    versions,
    ...(options.judge ? { judges: tallyJudgments(judgments) } : {}),
  };
}

function f(x: number): string {
  return x.toFixed(3);
}

function table(title: string, groups: Record<string, GroupScores>): string[] {
  const baselineNames = Object.keys(BASELINES);
  const lines = [
    title,
    `  ${"group".padEnd(22)} ${"n".padStart(4)}  ${"AC@1".padStart(6)} ${"AC@3".padStart(6)} ${"AC@5".padStart(6)} ${"Avg@5".padStart(6)} ${"class".padStart(6)} ${"ctl-abst".padStart(8)} ${"false-al".padStart(8)}  | AC@1 ${baselineNames.join(" / ")}`,
  ];
  for (const [name, g] of Object.entries(groups)) {
    const v = g.vigil;
    const base = baselineNames.map((b) => f(g.baselines[b]?.ac1 ?? 0)).join(" / ");
    lines.push(
      `  ${name.padEnd(22)} ${String(g.faultCases).padStart(4)}  ${f(v.ac1).padStart(6)} ${f(v.ac3).padStart(6)} ${f(v.ac5).padStart(6)} ${f(v.avg5).padStart(6)} ${f(v.faultClassAccuracy).padStart(6)} ${(g.controlCases ? f(v.abstainOnControls) : "-").padStart(8)} ${(g.controlCases ? f(v.falseAlarms) : "-").padStart(8)}  | ${base}`,
    );
  }
  return lines;
}

export function formatEvalReport(report: EvalReport): string {
  const lines = [`Fixture set ${report.setDir}: ${report.cases} cases`, ""];
  lines.push(...table("Overall (n = fault cases; ctl = control cases)", { all: report.overall }), "");
  lines.push(...table("Per system", report.bySystem), "");
  lines.push(...table("Per fault class", report.byFaultClass), "");
  lines.push(
    `Evidence grounding: ${f(report.evidenceGrounding)} of scored cases have every evidence reference resolving`,
  );
  lines.push(
    `Time per case: p50 ${report.timing.p50Ms} ms, p95 ${report.timing.p95Ms} ms, max ${report.timing.maxMs} ms`,
  );
  if (report.judges) {
    lines.push("", "Judge pass ratios (passed / judged; not judged left out)");
    for (const [criterion, t] of Object.entries(report.judges)) {
      const judged = t.passed + t.failed;
      lines.push(
        `  ${criterion.padEnd(40)} ${t.ratio === null ? "  -  " : f(t.ratio)}  (${t.passed}/${judged}${t.notJudged ? `, ${t.notJudged} not judged` : ""})`,
      );
    }
  }
  return lines.join("\n");
}
