/**
 * Before and after, case by case: what a change (a strategy, a threshold, a prompt, a model) did to an eval run.
 * Reads two `vigil eval --out` directories (one result JSON per case, plus the optional `judgments/` and
 * `versions.json` that `runEval` writes) and the answers of the set.
 *
 * @example
 * const comparison = compareRuns(".vigil/eval/main", ".vigil/eval/branch", "examples/incidents/answers");
 * console.log(formatComparison(comparison));
 * if (regressionCheck(comparison).regressed) process.exitCode = 1;
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { InvestigationResult } from "../../agents/types.ts";
import { type Answer, answerSchema } from "../../tools/fixture/schema.ts";
import {
  type CriterionTally,
  type Judgment,
  judgeDeterministic,
  judgmentSchema,
  tallyJudgments,
} from "../quality/judges.ts";
import { diffVersions, type Versions, versionsSchema } from "../quality/versions.ts";

/** AC@1 may drop by this much in any set before `--fail-on-regression` fails (one case in fifty). */
export const DEFAULT_REGRESSION_THRESHOLD = 0.02;

export type CaseChange = "right→wrong" | "wrong→right" | "right" | "wrong" | "added" | "removed";

export interface CaseRun {
  /** Rank of the true root cause among the candidates (fault cases), undefined when not ranked. */
  rank?: number;
  top?: string;
  abstained: boolean;
  /** Fault case: the cause ranked first. Control: abstained. */
  right: boolean;
  durationMs: number;
  toolCalls: number;
  tokens: number;
  costUsd: number;
  failedCriteria: string[];
}

export interface CaseComparison {
  caseId: string;
  faultClass: string;
  noFault: boolean;
  before?: CaseRun;
  after?: CaseRun;
  change: CaseChange;
}

export interface SetScores {
  /** Fault cases in the set. */
  n: number;
  ac1: number;
  ac3: number;
}

export interface Delta<T> {
  before: T;
  after: T;
  delta: T;
}

export interface CostScores {
  meanDurationMs: number;
  meanToolCalls: number;
  meanTokens: number;
  meanCostUsd: number;
}

export interface RunComparison {
  previousOutDir: string;
  currentOutDir: string;
  cases: CaseComparison[];
  /** Case ids per fault class. */
  rightToWrong: Record<string, string[]>;
  wrongToRight: Record<string, string[]>;
  sets: { overall: Delta<SetScores>; byFaultClass: Record<string, Delta<SetScores>> };
  /** Fault-free controls: share abstained (higher is better). */
  controls: Delta<{ n: number; abstained: number }>;
  judges: Record<string, { before: number | null; after: number | null; delta: number | null }>;
  cost: Delta<CostScores>;
  versions: { before?: Versions; after?: Versions; changed: string[] };
}

// The boundary: result files of older runs, or of other versions, are read leniently but must have these fields.
const resultFileSchema = z.looseObject({
  caseId: z.string().optional(),
  abstained: z.boolean(),
  confidence: z.number(),
  candidates: z.array(z.looseObject({ service: z.string() })),
  summary: z.looseObject({ headline: z.string() }),
  durationMs: z.number(),
  toolCalls: z.array(z.unknown()),
  llm: z.looseObject({ promptTokens: z.number(), completionTokens: z.number(), costUsd: z.number().optional() }),
});

interface LoadedRun {
  results: Map<string, InvestigationResult>;
  judgments: Map<string, Judgment>;
  versions?: Versions;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Load one eval output directory: `<case>.json` results, `judgments/<case>.json`, `versions.json`. */
export function loadRun(outDir: string): LoadedRun {
  if (!existsSync(outDir)) throw new Error(`${outDir} does not exist (expected a \`vigil eval --out\` directory)`);
  const results = new Map<string, InvestigationResult>();
  for (const file of readdirSync(outDir).sort()) {
    if (!file.endsWith(".json") || ["versions.json", "report.json", "run.json"].includes(file)) continue;
    const parsed = resultFileSchema.safeParse(readJson(join(outDir, file)));
    if (!parsed.success) continue;
    const caseId = parsed.data.caseId ?? file.replace(/\.json$/, "");
    results.set(caseId, parsed.data as unknown as InvestigationResult);
  }
  const judgments = new Map<string, Judgment>();
  const judgmentsDir = join(outDir, "judgments");
  if (existsSync(judgmentsDir)) {
    for (const file of readdirSync(judgmentsDir)) {
      if (!file.endsWith(".json")) continue;
      const parsed = judgmentSchema.safeParse(readJson(join(judgmentsDir, file)));
      if (parsed.success) judgments.set(file.replace(/\.json$/, ""), parsed.data);
    }
  }
  const versionsPath = join(outDir, "versions.json");
  const versions = existsSync(versionsPath) ? versionsSchema.safeParse(readJson(versionsPath)) : undefined;
  return { results, judgments, versions: versions?.success ? versions.data : undefined };
}

function loadAnswers(answersDir: string): Map<string, Answer> {
  const answers = new Map<string, Answer>();
  if (!existsSync(answersDir)) throw new Error(`${answersDir} does not exist (expected the set's answers)`);
  for (const file of readdirSync(answersDir)) {
    if (!file.endsWith(".json")) continue;
    const answer = answerSchema.parse(readJson(join(answersDir, file)));
    answers.set(answer.caseId, answer);
  }
  return answers;
}

function rankOf(result: InvestigationResult, answer: Answer): number | undefined {
  const names = new Set([answer.rootCause?.service, ...answer.aliases].filter(Boolean) as string[]);
  const index = result.candidates.findIndex((c) => names.has(c.service));
  return index < 0 ? undefined : index + 1;
}

function caseRun(result: InvestigationResult, answer: Answer, judgment: Judgment | undefined): CaseRun {
  const rank = answer.noFault ? undefined : rankOf(result, answer);
  // Old runs without stored judgments are judged now with the deterministic checklist (pure, so comparable).
  const criteria = judgment?.criteria ?? judgeDeterministic(result);
  return {
    rank,
    top: result.candidates[0]?.service,
    abstained: result.abstained,
    right: answer.noFault ? result.abstained : rank === 1,
    durationMs: result.durationMs,
    toolCalls: result.toolCalls.length,
    tokens: result.llm.promptTokens + result.llm.completionTokens,
    costUsd: result.llm.costUsd ?? 0,
    failedCriteria: criteria.filter((c) => c.passed === false).map((c) => c.id),
  };
}

function setScores(runs: CaseRun[]): SetScores {
  const n = runs.length;
  const at = (k: number) => (n === 0 ? 0 : runs.filter((r) => r.rank !== undefined && r.rank <= k).length / n);
  return { n, ac1: at(1), ac3: at(3) };
}

function delta(before: SetScores, after: SetScores): Delta<SetScores> {
  return { before, after, delta: { n: after.n - before.n, ac1: after.ac1 - before.ac1, ac3: after.ac3 - before.ac3 } };
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function costScores(runs: CaseRun[]): CostScores {
  return {
    meanDurationMs: mean(runs.map((r) => r.durationMs)),
    meanToolCalls: mean(runs.map((r) => r.toolCalls)),
    meanTokens: mean(runs.map((r) => r.tokens)),
    meanCostUsd: mean(runs.map((r) => r.costUsd)),
  };
}

function judgeTally(run: LoadedRun, caseIds: string[]): Record<string, CriterionTally> {
  const judgments: Judgment[] = [];
  for (const id of caseIds) {
    const result = run.results.get(id);
    if (!result) continue;
    judgments.push(
      run.judgments.get(id) ?? { criteria: judgeDeterministic(result), judgedAt: "", judge: { prompts: {} } },
    );
  }
  return tallyJudgments(judgments);
}

/**
 * Compare two eval runs of the same fixture set against its answers. Only cases with an answer are compared; a
 * case present in one run only is reported as added or removed and left out of the scores (both sides are scored on
 * the same cases, so a partial run cannot look like a regression or an improvement).
 */
export function compareRuns(previousOutDir: string, currentOutDir: string, answersDir: string): RunComparison {
  const previous = loadRun(previousOutDir);
  const current = loadRun(currentOutDir);
  const answers = loadAnswers(answersDir);
  const ids = [...new Set([...previous.results.keys(), ...current.results.keys()])]
    .filter((id) => answers.has(id))
    .sort();

  const cases: CaseComparison[] = [];
  for (const caseId of ids) {
    const answer = answers.get(caseId) as Answer;
    const a = previous.results.get(caseId);
    const b = current.results.get(caseId);
    const before = a ? caseRun(a, answer, previous.judgments.get(caseId)) : undefined;
    const after = b ? caseRun(b, answer, current.judgments.get(caseId)) : undefined;
    let change: CaseChange;
    if (!before) change = "added";
    else if (!after) change = "removed";
    else if (before.right && !after.right) change = "right→wrong";
    else if (!before.right && after.right) change = "wrong→right";
    else change = after.right ? "right" : "wrong";
    const faultClass = answer.noFault ? "none" : (answer.rootCause?.faultClass ?? "unknown");
    cases.push({ caseId, faultClass, noFault: answer.noFault, before, after, change });
  }

  const both = cases.filter((c) => c.before && c.after) as Array<CaseComparison & { before: CaseRun; after: CaseRun }>;
  const faults = both.filter((c) => !c.noFault);
  const controls = both.filter((c) => c.noFault);
  const byClass = (change: CaseChange) => {
    const out: Record<string, string[]> = {};
    for (const c of both.filter((x) => x.change === change))
      out[c.faultClass] = [...(out[c.faultClass] ?? []), c.caseId];
    return out;
  };
  const byFaultClass: Record<string, Delta<SetScores>> = {};
  for (const fc of [...new Set(faults.map((c) => c.faultClass))].sort()) {
    const group = faults.filter((c) => c.faultClass === fc);
    byFaultClass[fc] = delta(setScores(group.map((c) => c.before)), setScores(group.map((c) => c.after)));
  }
  const abstainedShare = (runs: CaseRun[]) => (runs.length ? runs.filter((r) => r.abstained).length / runs.length : 0);
  const controlsBefore = { n: controls.length, abstained: abstainedShare(controls.map((c) => c.before)) };
  const controlsAfter = { n: controls.length, abstained: abstainedShare(controls.map((c) => c.after)) };

  const compared = both.map((c) => c.caseId);
  const tallyBefore = judgeTally(previous, compared);
  const tallyAfter = judgeTally(current, compared);
  const judges: RunComparison["judges"] = {};
  for (const criterion of [...new Set([...Object.keys(tallyBefore), ...Object.keys(tallyAfter)])].sort()) {
    const x = tallyBefore[criterion]?.ratio ?? null;
    const y = tallyAfter[criterion]?.ratio ?? null;
    judges[criterion] = { before: x, after: y, delta: x !== null && y !== null ? y - x : null };
  }

  const costBefore = costScores(both.map((c) => c.before));
  const costAfter = costScores(both.map((c) => c.after));
  return {
    previousOutDir,
    currentOutDir,
    cases,
    rightToWrong: byClass("right→wrong"),
    wrongToRight: byClass("wrong→right"),
    sets: {
      overall: delta(setScores(faults.map((c) => c.before)), setScores(faults.map((c) => c.after))),
      byFaultClass,
    },
    controls: {
      before: controlsBefore,
      after: controlsAfter,
      delta: { n: 0, abstained: controlsAfter.abstained - controlsBefore.abstained },
    },
    judges,
    cost: {
      before: costBefore,
      after: costAfter,
      delta: {
        meanDurationMs: costAfter.meanDurationMs - costBefore.meanDurationMs,
        meanToolCalls: costAfter.meanToolCalls - costBefore.meanToolCalls,
        meanTokens: costAfter.meanTokens - costBefore.meanTokens,
        meanCostUsd: costAfter.meanCostUsd - costBefore.meanCostUsd,
      },
    },
    versions: {
      before: previous.versions,
      after: current.versions,
      changed: diffVersions(previous.versions, current.versions),
    },
  };
}

export interface RegressionOptions {
  /** Largest AC@1 drop (and drop in abstentions on controls) tolerated in any set; default 0.02. */
  threshold?: number;
  /** Also fail when a judge criterion's pass ratio drops beyond the threshold; default false. */
  judges?: boolean;
}

export interface RegressionCheck {
  regressed: boolean;
  /** One line per set that got worse beyond the threshold. */
  reasons: string[];
}

/** `--fail-on-regression`: did any set get worse beyond the threshold? */
export function regressionCheck(comparison: RunComparison, options: RegressionOptions = {}): RegressionCheck {
  const threshold = options.threshold ?? DEFAULT_REGRESSION_THRESHOLD;
  const reasons: string[] = [];
  const sets: Array<[string, Delta<SetScores>]> = [
    ["overall", comparison.sets.overall],
    ...Object.entries(comparison.sets.byFaultClass).map(
      ([fc, d]) => [`fault class ${fc}`, d] as [string, Delta<SetScores>],
    ),
  ];
  // A small epsilon so 1/50 read back from floats is "exactly the threshold", not beyond it.
  const beyond = (drop: number) => drop > threshold + 1e-9;
  for (const [name, d] of sets) {
    if (d.before.n > 0 && beyond(-d.delta.ac1)) {
      reasons.push(`${name}: AC@1 ${pct(d.before.ac1)} → ${pct(d.after.ac1)} (${signed(d.delta.ac1)})`);
    }
  }
  const c = comparison.controls;
  if (c.before.n > 0 && beyond(-c.delta.abstained)) {
    reasons.push(
      `controls: abstained ${pct(c.before.abstained)} → ${pct(c.after.abstained)} (${signed(c.delta.abstained)})`,
    );
  }
  if (options.judges) {
    for (const [criterion, j] of Object.entries(comparison.judges)) {
      if (j.delta !== null && beyond(-j.delta)) {
        reasons.push(`judge ${criterion}: ${pct(j.before ?? 0)} → ${pct(j.after ?? 0)} (${signed(j.delta)})`);
      }
    }
  }
  return { regressed: reasons.length > 0, reasons };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function signed(x: number, digits = 3): string {
  return `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;
}

function ratio(x: number | null): string {
  return x === null ? "  -  " : x.toFixed(3);
}

function scoreLine(name: string, d: Delta<SetScores>): string {
  return `  ${name.padEnd(16)} ${String(d.after.n).padStart(3)}  AC@1 ${d.before.ac1.toFixed(3)} → ${d.after.ac1.toFixed(3)} (${signed(d.delta.ac1)})   AC@3 ${d.before.ac3.toFixed(3)} → ${d.after.ac3.toFixed(3)} (${signed(d.delta.ac3)})`;
}

/** The comparison as a terminal report: what moved, per case and per set. */
export function formatComparison(comparison: RunComparison): string {
  const lines = [`Comparing ${comparison.previousOutDir} (before) → ${comparison.currentOutDir} (after)`];
  if (comparison.versions.changed.length > 0) {
    lines.push("", "Versions changed:", ...comparison.versions.changed.map((v) => `  ${v}`));
  }
  const changeSection = (title: string, byClass: Record<string, string[]>) => {
    const total = Object.values(byClass).reduce((n, ids) => n + ids.length, 0);
    lines.push("", `${title}: ${total}`);
    for (const [fc, ids] of Object.entries(byClass).sort()) {
      for (const id of ids) {
        const c = comparison.cases.find((x) => x.caseId === id);
        const show = (r?: CaseRun) => (r ? `${r.top ?? "-"}${r.abstained ? " (abstained)" : ""}` : "-");
        lines.push(`  ${fc.padEnd(16)} ${id}  ${show(c?.before)} → ${show(c?.after)}`);
      }
    }
  };
  changeSection("Right → wrong", comparison.rightToWrong);
  changeSection("Wrong → right", comparison.wrongToRight);
  const addedRemoved = comparison.cases.filter((c) => c.change === "added" || c.change === "removed");
  if (addedRemoved.length > 0) {
    lines.push("", "Only in one run (not scored):", ...addedRemoved.map((c) => `  ${c.caseId} ${c.change}`));
  }
  lines.push("", "Scores (fault cases):", scoreLine("overall", comparison.sets.overall));
  for (const [fc, d] of Object.entries(comparison.sets.byFaultClass)) lines.push(scoreLine(fc, d));
  const c = comparison.controls;
  if (c.before.n > 0) {
    lines.push(
      `  ${"controls".padEnd(16)} ${String(c.after.n).padStart(3)}  abstained ${c.before.abstained.toFixed(3)} → ${c.after.abstained.toFixed(3)} (${signed(c.delta.abstained)})`,
    );
  }
  lines.push("", "Judge pass ratios:");
  for (const [criterion, j] of Object.entries(comparison.judges)) {
    lines.push(
      `  ${criterion.padEnd(40)} ${ratio(j.before)} → ${ratio(j.after)}${j.delta === null ? "" : ` (${signed(j.delta)})`}`,
    );
  }
  const cb = comparison.cost.before;
  const ca = comparison.cost.after;
  lines.push(
    "",
    "Time and cost per case (mean):",
    `  time       ${cb.meanDurationMs.toFixed(0)} ms → ${ca.meanDurationMs.toFixed(0)} ms`,
    `  tool calls ${cb.meanToolCalls.toFixed(1)} → ${ca.meanToolCalls.toFixed(1)}`,
    `  tokens     ${cb.meanTokens.toFixed(0)} → ${ca.meanTokens.toFixed(0)}`,
    `  cost       $${cb.meanCostUsd.toFixed(4)} → $${ca.meanCostUsd.toFixed(4)}`,
  );
  return lines.join("\n");
}
