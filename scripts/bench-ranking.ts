/**
 * Strategy ranking benchmark: replays fixture cases as a stream of incidents per alert class with synthetic
 * feedback from the answers, and shows (1) the ranking converging: the strategy that finds causes for a class
 * rises to the top of its leaderboard, and (2) the time and queries to the first correct finding falling when
 * strategies run one after another in planner order, against the static registry order.
 *
 * Each case is investigated once (investigateFixture); the per-strategy results are cached and replayed.
 * The fixture suite's alerts are mostly generic SLO alerts, so by default the *scenario* of the answer stands in
 * for the alert class (in production a class is `KubePodCrashLooping{namespace,pod}`, not `SLOFastBurn`);
 * `--class-by alert` uses the real alert class instead.
 *
 *   npx tsx scripts/bench-ranking.ts [--set examples/incidents] [--n 30] [--seed 42] [--class-by scenario|alert]
 *                                    [--max-strategies K]
 */
import { setMaxListeners } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { STRATEGIES, type StrategyDefinition, type StrategyGraph } from "../agents/strategies/registry.ts";
import { sameService } from "../src/feedback/outcomes.ts";
import { investigateFixture } from "../src/investigate-fixture.ts";
import { alertClassOf } from "../src/ranking/alert-class.ts";
import { mulberry32 } from "../src/ranking/beta.ts";
import { leaderboardFromStats } from "../src/ranking/leaderboard.ts";
import { planStrategies } from "../src/ranking/planner.ts";
import { buildStrategyStats, type OutcomeObservation } from "../src/ranking/statistics.ts";
import { loadFixtureCase } from "../tools/fixture/loader.ts";

const { values } = parseArgs({
  options: {
    set: { type: "string", default: "examples/incidents" },
    n: { type: "string", default: "30" },
    seed: { type: "string", default: "42" },
    "class-by": { type: "string", default: "scenario" },
    "max-strategies": { type: "string" },
  },
});

// Strategies share one abort signal per investigation; more than 10 listeners on it is expected, not a leak.
setMaxListeners(50);
const setDir = resolve(values.set);
const perClass = Math.max(1, Number(values.n) || 30);
const seed = Number(values.seed) || 42;
const maxStrategies = values["max-strategies"] ? Number(values["max-strategies"]) : undefined;
const DAY = 24 * 60 * 60 * 1000;

/** Answers carry more than the eval schema keeps (the scenario); read them with their own schema. */
const answerSchema = z.object({
  caseId: z.string(),
  rootCause: z.object({ service: z.string().nullish() }).nullish(),
  aliases: z.array(z.string()).default([]),
  noFault: z.boolean().default(false),
  scenario: z.string().optional(),
});

/**
 * Strategies that exist in agents/strategies but may not be in the registry yet: the benchmark ranks every
 * deterministic strategy it can build. Imported dynamically so a strategy being reworked does not break the bench.
 */
const OPTIONAL_STRATEGIES: Array<{ name: string; module: string; builder: string }> = [
  { name: "changes-first", module: "../agents/strategies/changes-first/graph.ts", builder: "buildChangesFirstGraph" },
  {
    name: "kubernetes-health",
    module: "../agents/strategies/kubernetes-health/graph.ts",
    builder: "buildKubernetesHealthGraph",
  },
  { name: "saturation", module: "../agents/strategies/saturation/graph.ts", builder: "buildSaturationGraph" },
  { name: "errors-first", module: "../agents/strategies/errors-first/graph.ts", builder: "buildErrorsFirstGraph" },
];

async function benchRegistry(): Promise<StrategyDefinition[]> {
  // No LLM in the benchmark: the explorer would never be applicable.
  const registry = STRATEGIES.filter((s) => s.name !== "llm-explorer");
  for (const extra of OPTIONAL_STRATEGIES) {
    if (registry.some((s) => s.name === extra.name)) continue;
    try {
      const module = (await import(extra.module)) as Record<string, unknown>;
      const build = module[extra.builder];
      if (typeof build !== "function") continue;
      registry.push({
        name: extra.name,
        description: extra.name,
        applicable: () => true,
        build: () => (build as () => unknown)() as StrategyGraph,
      });
    } catch (error) {
      console.error(`(skipping ${extra.name}: ${(error as Error).message})`);
    }
  }
  return registry;
}

interface CachedCase {
  caseId: string;
  alertClass: string;
  cause: string;
  aliases: string[];
  finalTopCorrect: boolean;
  strategies: Map<string, { top?: string; durationMs: number; toolCalls: number; found: boolean }>;
}

async function loadCases(registry: StrategyDefinition[]): Promise<CachedCase[]> {
  const casesDir = join(setDir, "cases");
  const cached: CachedCase[] = [];
  for (const id of readdirSync(casesDir).sort()) {
    const answerPath = join(setDir, "answers", `${id}.json`);
    if (!existsSync(answerPath)) continue;
    const answer = answerSchema.parse(JSON.parse(readFileSync(answerPath, "utf8")));
    const cause = answer.rootCause?.service;
    if (answer.noFault || !cause) continue;
    const fixture = loadFixtureCase(join(casesDir, id));
    process.stderr.write(`investigating ${id}…\r`);
    const result = await investigateFixture(fixture, { registry, strategyTimeoutMs: 60_000 });
    const aliases = (s: string) => (s === cause ? answer.aliases : []);
    const strategies = new Map<string, { top?: string; durationMs: number; toolCalls: number; found: boolean }>();
    for (const s of result.strategies) {
      strategies.set(s.name, {
        top: s.topCandidate,
        durationMs: s.durationMs,
        toolCalls: s.toolCalls,
        found: sameService(s.topCandidate, cause, { aliases }),
      });
    }
    cached.push({
      caseId: id,
      alertClass: values["class-by"] === "alert" ? alertClassOf(fixture.alert) : (answer.scenario ?? "unknown"),
      cause,
      aliases: answer.aliases,
      finalTopCorrect: sameService(result.candidates[0]?.service, cause, { aliases }),
      strategies,
    });
  }
  process.stderr.write(`${" ".repeat(40)}\r`);
  return cached;
}

interface Cost {
  ms: number;
  queries: number;
  found: boolean;
}

/** Strategies run one after another in `order`: what it costs until the first one whose top is the cause. */
function costToFirstFinding(c: CachedCase, order: string[]): Cost {
  let ms = 0;
  let queries = 0;
  for (const name of order) {
    const s = c.strategies.get(name);
    if (!s) continue;
    ms += s.durationMs;
    queries += s.toolCalls;
    if (s.found) return { ms, queries, found: true };
  }
  return { ms, queries, found: false };
}

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

const registry = await benchRegistry();
const names = registry.map((s) => s.name);
const cases = await loadCases(registry);
const byClass = new Map<string, CachedCase[]>();
for (const c of cases) byClass.set(c.alertClass, [...(byClass.get(c.alertClass) ?? []), c]);
const classes = [...byClass.keys()].sort();

const rng = mulberry32(seed);
const observations: OutcomeObservation[] = [];
const start = Date.parse("2026-01-01T00:00:00Z");
interface Step {
  planned: Cost;
  registryOrder: Cost;
  top: string;
}
const steps = new Map<string, Step[]>(classes.map((k) => [k, []]));

// Classes interleave, one incident each per day, so a class can borrow from the others' history as in production.
for (let t = 0; t < perClass; t++) {
  const now = start + t * DAY;
  const stats = buildStrategyStats(observations, { now, halfLifeDays: 30 });
  for (const alertClass of classes) {
    const pool = byClass.get(alertClass) ?? [];
    const c = pool[Math.floor(rng() * pool.length)] as CachedCase;
    const plan = planStrategies(stats, alertClass, names, { rng, maxStrategies });
    const top = leaderboardFromStats(stats, alertClass, { strategies: names })[0]?.strategy ?? "-";
    steps.get(alertClass)?.push({
      planned: costToFirstFinding(c, plan.order),
      registryOrder: costToFirstFinding(c, names),
      top,
    });
    for (const name of plan.order) {
      const s = c.strategies.get(name);
      if (!s) continue;
      observations.push({
        alertClass,
        strategy: name,
        credit: s.found ? 1 : 0,
        durationMs: s.durationMs,
        toolCalls: s.toolCalls,
        tokens: 0,
        occurredAt: now,
      });
    }
  }
}

console.log(
  `Strategy ranking benchmark: ${cases.length} fault cases from ${setDir}, ${classes.length} classes ` +
    `(by ${values["class-by"]}), ${perClass} incidents per class, seed ${seed}` +
    (maxStrategies ? `, at most ${maxStrategies} strategies per incident` : ""),
);
console.log(`Strategies: ${names.join(", ")}\n`);

const head = `${"class".padEnd(26)} ${"best strategy (hit rate)".padEnd(32)} ${"top@1".padEnd(18)} ${"top@5".padEnd(18)} ${"top@N".padEnd(18)} ${"on top from".padEnd(12)} time to 1st finding: first 5 → last 5 (registry order)       queries: first 5 → last 5 (registry)`;
console.log(head);
const totals = {
  earlyMs: [] as number[],
  lateMs: [] as number[],
  regMs: [] as number[],
  earlyQ: [] as number[],
  lateQ: [] as number[],
  regQ: [] as number[],
};
let converged = 0;
let withBest = 0;
for (const alertClass of classes) {
  const pool = byClass.get(alertClass) ?? [];
  const rates = names
    .map((name) => ({ name, rate: mean(pool.map((c) => (c.strategies.get(name)?.found ? 1 : 0))) }))
    .sort((a, b) => b.rate - a.rate);
  const best = rates[0];
  const history = steps.get(alertClass) ?? [];
  const final = buildStrategyStats(observations, { now: start + perClass * DAY, halfLifeDays: 30 });
  const board = leaderboardFromStats(final, alertClass, { strategies: names });
  const at = (i: number) => history[Math.min(i, history.length - 1)]?.top ?? "-";
  const topN = board[0]?.strategy ?? "-";
  // The incident from which the best strategy stays on top for good ("-" if it never settles).
  const bestNames = new Set(rates.filter((r) => best && r.rate === best.rate && r.rate > 0).map((r) => r.name));
  let from = -1;
  for (let i = history.length - 1; i >= 0; i--) {
    if (!bestNames.has(history[i]?.top ?? "")) break;
    from = i;
  }
  if (bestNames.size > 0) {
    withBest += 1;
    if (bestNames.has(topN)) converged += 1;
  }
  const early = history.slice(0, 5);
  const late = history.slice(-5);
  const ms = (xs: Step[], key: "planned" | "registryOrder") => mean(xs.map((s) => s[key].ms));
  const q = (xs: Step[], key: "planned" | "registryOrder") => mean(xs.map((s) => s[key].queries));
  totals.earlyMs.push(ms(early, "planned"));
  totals.lateMs.push(ms(late, "planned"));
  totals.regMs.push(ms(history, "registryOrder"));
  totals.earlyQ.push(q(early, "planned"));
  totals.lateQ.push(q(late, "planned"));
  totals.regQ.push(q(history, "registryOrder"));
  const bestLabel =
    best && best.rate > 0 ? `${[...bestNames].join("|")} (${Math.round(best.rate * 100)}%)` : "none finds it";
  console.log(
    [
      alertClass.padEnd(26),
      bestLabel.padEnd(32),
      at(0).padEnd(18),
      at(4).padEnd(18),
      topN.padEnd(18),
      (from < 0 ? "-" : `#${from + 1}`).padEnd(12),
      `${fmtMs(ms(early, "planned"))} → ${fmtMs(ms(late, "planned"))} (${fmtMs(ms(history, "registryOrder"))})`.padEnd(
        58,
      ),
      `${q(early, "planned").toFixed(1)} → ${q(late, "planned").toFixed(1)} (${q(history, "registryOrder").toFixed(1)})`,
    ].join(" "),
  );
}
console.log(
  `\nConverged: the best strategy tops the leaderboard after ${perClass} incidents in ${converged}/${withBest} classes ` +
    "where some strategy finds the cause.",
);
console.log(
  `Mean over classes: time to first correct finding ${fmtMs(mean(totals.earlyMs))} (first 5) → ${fmtMs(mean(totals.lateMs))} ` +
    `(last 5), registry order ${fmtMs(mean(totals.regMs))}; queries ${mean(totals.earlyQ).toFixed(1)} → ` +
    `${mean(totals.lateQ).toFixed(1)}, registry order ${mean(totals.regQ).toFixed(1)}.`,
);
console.log(
  "(Sequential execution in planner order with each strategy's recorded duration and tool calls; when no strategy " +
    "finds the cause the whole plan's cost counts.)",
);

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
