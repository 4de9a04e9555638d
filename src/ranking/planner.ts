/**
 * The strategy planner: Thompson sampling over the applicable strategies. Each strategy draws a success rate from
 * its posterior for the alert's class; the draws give the order. Strategies that usually find the cause come
 * first and get the larger time budget, and a strategy with little history still wins a draw now and then, which
 * is how it gets the outcomes it needs to be ranked at all. Under a tight budget (`maxStrategies`) only the top
 * draws run, and sampling keeps that exploration alive.
 *
 * @example
 * const order = createRankingOrder({ db, halfLifeDays: 30 });
 * const graph = buildInvestigationGraph({ order });
 */
import type { Alert } from "../../agents/types.ts";
import type { Db } from "../store/db.ts";
import { type AlertClassOptions, alertClassOf } from "./alert-class.ts";
import { type Rng, sampleBeta } from "./beta.ts";
import {
  DEFAULT_HALF_LIFE_DAYS,
  loadStrategyStats,
  type Posterior,
  type PriorBoost,
  posteriorOf,
  type StrategyStats,
} from "./statistics.ts";

export interface StrategyPlan {
  /** Strategy names to run, most promising first. */
  order: string[];
  /** Per-strategy wall-clock budget in ms. */
  budgets: Record<string, number>;
}

export interface PlanOptions {
  rng?: Rng; // default Math.random; tests and the benchmark pass mulberry32(seed)
  /** Run at most this many strategies (a tight budget); default all. */
  maxStrategies?: number;
  /** The budget of an ordinary strategy; default 30 s, the graph's default. */
  baseBudgetMs?: number;
  /** The top half of the order gets baseBudgetMs × this; default 1.5. */
  topBudgetFactor?: number;
  priorStrength?: number;
  boosts?: PriorBoost[];
}

export interface ScoredStrategy {
  strategy: string;
  sample: number;
  posterior: Posterior;
}

export const DEFAULT_BASE_BUDGET_MS = 30_000;
export const DEFAULT_TOP_BUDGET_FACTOR = 1.5;

/** Draw once per strategy and sort by the draw; ties keep the applicable (registry) order. */
export function thompsonOrder(
  stats: StrategyStats,
  alertClass: string,
  applicable: string[],
  options: PlanOptions = {},
): ScoredStrategy[] {
  const rng = options.rng ?? Math.random;
  const scored = applicable.map((strategy, index) => {
    const posterior = posteriorOf(stats, alertClass, strategy, options);
    return { strategy, index, posterior, sample: sampleBeta(posterior.alpha, posterior.beta, rng) };
  });
  scored.sort((a, b) => b.sample - a.sample || a.index - b.index);
  return scored.map(({ strategy, sample, posterior }) => ({ strategy, sample, posterior }));
}

/** Order, cut to `maxStrategies`, and budgets: the top half (at least one) of what runs gets the larger budget. */
export function planStrategies(
  stats: StrategyStats,
  alertClass: string,
  applicable: string[],
  options: PlanOptions = {},
): StrategyPlan {
  const ranked = thompsonOrder(stats, alertClass, applicable, options);
  const limit = options.maxStrategies && options.maxStrategies > 0 ? options.maxStrategies : ranked.length;
  const order = ranked.slice(0, limit).map((r) => r.strategy);
  const base = options.baseBudgetMs ?? DEFAULT_BASE_BUDGET_MS;
  const top = Math.round(base * (options.topBudgetFactor ?? DEFAULT_TOP_BUDGET_FACTOR));
  const favoured = Math.max(1, Math.ceil(order.length / 2));
  const budgets: Record<string, number> = {};
  for (const [i, name] of order.entries()) budgets[name] = i < favoured ? top : base;
  return { order, budgets };
}

export interface RankingOrderOptions extends PlanOptions, AlertClassOptions {
  db: Pick<Db, "query">;
  halfLifeDays?: number; // VIGIL_RANKING_HALF_LIFE_DAYS, default 30
  /** Statistics are re-read at most this often; default 60 s (feedback arrives minutes apart, not per alert). */
  cacheMs?: number;
  /** Approved learned patterns that match the alert, as pseudo-successes (from knowledge/). */
  boostsFor?: (alert: Alert) => Promise<PriorBoost[]> | PriorBoost[];
  /** Called when the statistics cannot be read; the planner then falls back to the registry order. */
  onError?: (error: unknown) => void;
}

/**
 * The `order` hook for `buildInvestigationGraph`: reads the statistics from the store (cached), samples an order
 * for the alert's class. A store failure never blocks an investigation: it runs every strategy in registry order.
 */
export function createRankingOrder(
  options: RankingOrderOptions,
): (applicable: string[], alert: Alert) => Promise<StrategyPlan> {
  const cacheMs = options.cacheMs ?? 60_000;
  let cached: { at: number; stats: Promise<StrategyStats> } | undefined;
  function stats(): Promise<StrategyStats> {
    const now = Date.now();
    if (!cached || now - cached.at > cacheMs) {
      const loading = loadStrategyStats(options.db, {
        halfLifeDays: options.halfLifeDays ?? DEFAULT_HALF_LIFE_DAYS,
        labels: options.labels,
      });
      cached = { at: now, stats: loading };
      // A failed read must not be cached for a minute.
      loading.catch(() => {
        if (cached?.stats === loading) cached = undefined;
      });
    }
    return cached.stats;
  }
  return async (applicable, alert) => {
    try {
      const boosts = [...(options.boosts ?? []), ...((await options.boostsFor?.(alert)) ?? [])];
      return planStrategies(await stats(), alertClassOf(alert, options), applicable, { ...options, boosts });
    } catch (error) {
      options.onError?.(error);
      return { order: applicable, budgets: {} };
    }
  };
}
