/**
 * Per alert class and strategy: a Beta posterior of "this strategy's top hypothesis was the real cause", learned
 * from outcomes with exponential time decay (systems change; last quarter's wins count less than last week's),
 * plus what the strategy costs (time, queries, tokens). A class with little history borrows from the global
 * statistics of the strategy through its prior, and approved learned patterns can add pseudo-successes.
 *
 * @example
 * const stats = await loadStrategyStats(db, { halfLifeDays: 30 });
 * const p = posteriorOf(stats, "HighLatency{service}", "golden-signals", { boosts: [{ strategy: "golden-signals", weight: 1 }] });
 * p.mean; // posterior mean success rate
 */
import { z } from "zod";
import type { Alert } from "../../agents/types.ts";
import type { Db } from "../store/db.ts";
import { type AlertClassOptions, alertClassOf } from "./alert-class.ts";

export const DEFAULT_HALF_LIFE_DAYS = 30;
/** Pseudo-count of the hierarchical prior: with 2 and no global data the prior is Beta(1, 1), i.e. uniform. */
export const DEFAULT_PRIOR_STRENGTH = 2;
/** Outcomes older than this many half-lives weigh < 0.1% and are not read at all. */
const HALF_LIVES_READ = 10;
const DAY_MS = 24 * 60 * 60 * 1000;

/** One strategy's outcome in one confirmed investigation. */
export interface OutcomeObservation {
  alertClass: string;
  strategy: string;
  /** 1 found the cause, 0.5 "not quite", 0 missed; null when the feedback cannot tell (counts for cost only). */
  credit: number | null;
  durationMs: number;
  toolCalls: number;
  tokens: number;
  /** Unix ms of the investigation. */
  occurredAt: number;
}

/** Decayed sums for one (class, strategy) cell, or the strategy over every class. */
export interface StrategyAggregate {
  /** Σ weight · credit */
  successWeight: number;
  /** Σ weight · (1 − credit) */
  failureWeight: number;
  /** Σ weight over every observation, judged or not: the denominator of the cost means. */
  costWeight: number;
  durationWeighted: number;
  queriesWeighted: number;
  tokensWeighted: number;
  /** Undecayed counts, for people reading the leaderboard. */
  runs: number;
  successes: number;
}

export interface StrategyStats {
  byClass: Map<string, Map<string, StrategyAggregate>>;
  global: Map<string, StrategyAggregate>;
}

/** A hint from an approved learned pattern: this strategy found the cause of alerts like this one. */
export interface PriorBoost {
  strategy: string;
  /** Pseudo-successes added to the prior; 1 is "one more confirmed incident". */
  weight: number;
}

export interface PosteriorOptions {
  priorStrength?: number; // default 2
  boosts?: PriorBoost[];
}

export interface Posterior {
  alpha: number;
  beta: number;
  mean: number;
  prior: { alpha: number; beta: number };
  runs: number;
  successes: number;
  meanDurationMs?: number;
  meanQueries?: number;
  meanTokens?: number;
}

export interface BuildStatsOptions {
  now?: number;
  halfLifeDays?: number; // default 30
}

export function decayWeight(ageMs: number, halfLifeMs: number): number {
  if (!(halfLifeMs > 0)) return 1;
  // A clock skew into the future must not make an outcome weigh more than a fresh one.
  return 0.5 ** (Math.max(0, ageMs) / halfLifeMs);
}

function emptyAggregate(): StrategyAggregate {
  return {
    successWeight: 0,
    failureWeight: 0,
    costWeight: 0,
    durationWeighted: 0,
    queriesWeighted: 0,
    tokensWeighted: 0,
    runs: 0,
    successes: 0,
  };
}

function add(aggregate: StrategyAggregate, o: OutcomeObservation, weight: number): void {
  aggregate.costWeight += weight;
  aggregate.durationWeighted += weight * o.durationMs;
  aggregate.queriesWeighted += weight * o.toolCalls;
  aggregate.tokensWeighted += weight * o.tokens;
  if (o.credit === null) return;
  const credit = Math.min(1, Math.max(0, o.credit));
  aggregate.successWeight += weight * credit;
  aggregate.failureWeight += weight * (1 - credit);
  aggregate.runs += 1;
  aggregate.successes += credit;
}

function cell<K>(map: Map<K, StrategyAggregate>, key: K): StrategyAggregate {
  let found = map.get(key);
  if (!found) {
    found = emptyAggregate();
    map.set(key, found);
  }
  return found;
}

export function buildStrategyStats(observations: OutcomeObservation[], options: BuildStatsOptions = {}): StrategyStats {
  const now = options.now ?? Date.now();
  const halfLifeMs = (options.halfLifeDays ?? DEFAULT_HALF_LIFE_DAYS) * DAY_MS;
  const byClass = new Map<string, Map<string, StrategyAggregate>>();
  const global = new Map<string, StrategyAggregate>();
  for (const o of observations) {
    const weight = decayWeight(now - o.occurredAt, halfLifeMs);
    let strategies = byClass.get(o.alertClass);
    if (!strategies) {
      strategies = new Map();
      byClass.set(o.alertClass, strategies);
    }
    add(cell(strategies, o.strategy), o, weight);
    add(cell(global, o.strategy), o, weight);
  }
  return { byClass, global };
}

/**
 * The posterior of one strategy for one class. Prior: the strategy's global success rate from the *other*
 * classes (so a class does not count its own history twice), scaled to `priorStrength` pseudo-observations, plus
 * pattern boosts as pseudo-successes. The class's own decayed outcomes are then added.
 */
export function posteriorOf(
  stats: StrategyStats,
  alertClass: string | undefined,
  strategy: string,
  options: PosteriorOptions = {},
): Posterior {
  const strength = options.priorStrength ?? DEFAULT_PRIOR_STRENGTH;
  const own = alertClass === undefined ? undefined : stats.byClass.get(alertClass)?.get(strategy);
  const global = stats.global.get(strategy) ?? emptyAggregate();
  // For the global leaderboard (no class) the data is the global cell and the prior is uniform.
  const data = alertClass === undefined ? global : (own ?? emptyAggregate());
  const otherSuccess = alertClass === undefined ? 0 : global.successWeight - (own?.successWeight ?? 0);
  const otherFailure = alertClass === undefined ? 0 : global.failureWeight - (own?.failureWeight ?? 0);
  const globalMean = (1 + Math.max(0, otherSuccess)) / (2 + Math.max(0, otherSuccess) + Math.max(0, otherFailure));
  const boost = (options.boosts ?? [])
    .filter((b) => b.strategy === strategy && Number.isFinite(b.weight) && b.weight > 0)
    .reduce((sum, b) => sum + b.weight, 0);
  const prior = { alpha: strength * globalMean + boost, beta: strength * (1 - globalMean) };
  const alpha = prior.alpha + data.successWeight;
  const beta = prior.beta + data.failureWeight;
  // Cost: the class's own when it has any, else what the strategy costs elsewhere.
  const costSource = data.costWeight > 0 ? data : global;
  const costMean = (sum: number) => (costSource.costWeight > 0 ? sum / costSource.costWeight : undefined);
  return {
    alpha,
    beta,
    mean: alpha / (alpha + beta),
    prior,
    runs: data.runs,
    successes: data.successes,
    meanDurationMs: costMean(costSource.durationWeighted),
    meanQueries: costMean(costSource.queriesWeighted),
    meanTokens: costMean(costSource.tokensWeighted),
  };
}

const outcomeRowSchema = z.object({
  strategy: z.string(),
  credit: z.coerce.number().nullable(),
  duration_ms: z.coerce.number(),
  tool_calls: z.coerce.number(),
  tokens: z.coerce.number(),
  occurred_at: z.union([z.date(), z.string()]).transform((v) => new Date(v).getTime()),
  alert: z.union([z.string().transform((s) => JSON.parse(s) as unknown), z.record(z.string(), z.unknown())]),
});

const alertShapeSchema = z.object({
  alertname: z.string().catch(""),
  labels: z.record(z.string(), z.string()).catch({}),
});

export interface LoadStatsOptions extends BuildStatsOptions, AlertClassOptions {}

/** Reads the outcomes of the last few half-lives and builds the statistics; the class comes from each alert. */
export async function loadStrategyStats(db: Pick<Db, "query">, options: LoadStatsOptions = {}): Promise<StrategyStats> {
  const observations = await loadOutcomeObservations(db, options);
  return buildStrategyStats(observations, options);
}

export async function loadOutcomeObservations(
  db: Pick<Db, "query">,
  options: LoadStatsOptions = {},
): Promise<OutcomeObservation[]> {
  const now = options.now ?? Date.now();
  const since = new Date(now - HALF_LIVES_READ * (options.halfLifeDays ?? DEFAULT_HALF_LIFE_DAYS) * DAY_MS);
  const { rows } = await db.query(
    `SELECT o.strategy, o.credit, o.duration_ms, o.tool_calls, o.tokens, o.occurred_at, i.alert
       FROM vigil.strategy_outcomes o JOIN vigil.investigations i ON i.id = o.investigation_id
      WHERE o.occurred_at >= $1`,
    [since.toISOString()],
  );
  const observations: OutcomeObservation[] = [];
  for (const raw of rows) {
    const row = outcomeRowSchema.safeParse(raw);
    if (!row.success) continue;
    const alert = alertShapeSchema.parse(row.data.alert) as Pick<Alert, "alertname" | "labels">;
    observations.push({
      alertClass: alertClassOf(alert, options),
      strategy: row.data.strategy,
      credit: row.data.credit,
      durationMs: row.data.duration_ms,
      toolCalls: row.data.tool_calls,
      tokens: row.data.tokens,
      occurredAt: row.data.occurred_at,
    });
  }
  return observations;
}
