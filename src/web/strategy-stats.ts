/**
 * The strategy leaderboard: per alert class, how each strategy has done. The UI reads it through the
 * `StrategyStatsSource` interface so that the feedback work can swap in a source backed by a `strategy_stats` table
 * (with success rates from engineers' verdicts) without touching the pages or the API.
 *
 * @example
 * const source = resultsStrategyStats(db);
 * const classes = await source.leaderboard();
 */
import type { Db } from "../store/db.ts";

export interface StrategyStats {
  strategy: string;
  /** Investigations of this class in which the strategy ran. */
  runs: number;
  /** Runs in which the strategy contributed to the final top candidate of a conclusive investigation. */
  topCandidate: number;
  /** Runs in which the investigation abstained (no conclusive cause). */
  abstentions: number;
  meanDurationMs: number | null;
  meanToolCalls: number | null;
  /** Share of runs confirmed correct by feedback; only sources that know feedback fill it. */
  successRate?: number | null;
}

export interface AlertClassStats {
  /** `alertname{sorted,label,keys}`, e.g. `HighLatency{service,severity}`. */
  alertClass: string;
  alertname: string;
  labelKeys: string[];
  investigations: number;
  strategies: StrategyStats[];
}

export interface StrategyStatsSource {
  /** Shown under the leaderboard so readers know what the numbers are computed from. */
  readonly description: string;
  leaderboard(): Promise<AlertClassStats[]>;
}

/** `HighLatency{service,severity}`: the alert name and the sorted keys of its labels (alertname itself left out). */
export function alertClassOf(alertname: string, labelKeys: string[]): string {
  return `${alertname}{${[...labelKeys].sort().join(",")}}`;
}

interface StatsRow {
  alertname: string;
  label_keys: string;
  strategy: string;
  runs: number | string;
  top_candidate: number | string;
  abstentions: number | string;
  mean_duration_ms: number | string | null;
  mean_tool_calls: number | string | null;
}

interface ClassRow {
  alertname: string;
  label_keys: string;
  investigations: number | string;
}

function numOrNull(value: number | string | null): number | null {
  if (value === null) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

// The class key is computed in SQL so the aggregation runs in the database, not over every result in memory.
const CLASSIFIED = `
  SELECT i.alertname,
         (SELECT coalesce(string_agg(k, ',' ORDER BY k), '')
            FROM jsonb_object_keys(coalesce(i.alert->'labels', '{}'::jsonb)) AS k
           WHERE k <> 'alertname') AS label_keys,
         coalesce((i.result->>'abstained')::boolean, false) AS abstained,
         coalesce(i.result->'candidates'->0->'strategies', '[]'::jsonb) AS top_strategies,
         coalesce(i.result->'strategies', '[]'::jsonb) AS strategies
    FROM vigil.investigations i
   WHERE i.status = 'done' AND i.result IS NOT NULL`;

/** Statistics computed from the stored results of finished investigations (no feedback yet). */
export function resultsStrategyStats(db: Db): StrategyStatsSource {
  return {
    description:
      "Computed from the stored results of finished investigations. Top candidate: the strategy backed the final likely cause of a conclusive investigation. Feedback-based success rates are not recorded yet.",
    async leaderboard() {
      const classes = await db.query<ClassRow>(
        `WITH c AS (${CLASSIFIED})
         SELECT alertname, label_keys, count(*) AS investigations FROM c GROUP BY alertname, label_keys`,
      );
      const stats = await db.query<StatsRow>(
        `WITH c AS (${CLASSIFIED})
         SELECT c.alertname, c.label_keys, s->>'name' AS strategy,
                count(*) AS runs,
                count(*) FILTER (WHERE NOT c.abstained AND c.top_strategies ? (s->>'name')) AS top_candidate,
                count(*) FILTER (WHERE c.abstained) AS abstentions,
                avg((s->>'durationMs')::double precision) AS mean_duration_ms,
                avg((s->>'toolCalls')::double precision) AS mean_tool_calls
           FROM c CROSS JOIN LATERAL jsonb_array_elements(c.strategies) AS s
          WHERE s->>'name' IS NOT NULL
          GROUP BY c.alertname, c.label_keys, s->>'name'`,
      );
      return assemble(classes.rows, stats.rows);
    },
  };
}

function assemble(classRows: ClassRow[], statRows: StatsRow[]): AlertClassStats[] {
  const byClass = new Map<string, AlertClassStats>();
  for (const row of classRows) {
    const labelKeys = row.label_keys ? row.label_keys.split(",") : [];
    const alertClass = alertClassOf(row.alertname, labelKeys);
    byClass.set(alertClass, {
      alertClass,
      alertname: row.alertname,
      labelKeys,
      investigations: Number(row.investigations),
      strategies: [],
    });
  }
  for (const row of statRows) {
    const entry = byClass.get(alertClassOf(row.alertname, row.label_keys ? row.label_keys.split(",") : []));
    if (!entry) continue;
    entry.strategies.push({
      strategy: row.strategy,
      runs: Number(row.runs),
      topCandidate: Number(row.top_candidate),
      abstentions: Number(row.abstentions),
      meanDurationMs: numOrNull(row.mean_duration_ms),
      meanToolCalls: numOrNull(row.mean_tool_calls),
    });
  }
  for (const entry of byClass.values()) {
    // Most useful first: the share of runs that backed the final cause, then how often it ran at all.
    entry.strategies.sort(
      (a, b) =>
        b.topCandidate / b.runs - a.topCandidate / a.runs || b.runs - a.runs || a.strategy.localeCompare(b.strategy),
    );
  }
  return [...byClass.values()].sort(
    (a, b) => b.investigations - a.investigations || a.alertClass.localeCompare(b.alertClass),
  );
}

/**
 * The stored-results leaderboard with each strategy's success rate from engineers' feedback (the posterior mean
 * of the ranking statistics, decay included), for classes that have judged outcomes.
 */
export function feedbackStrategyStats(
  base: StrategyStatsSource,
  successRates: (alertClass: string) => Promise<Array<{ strategy: string; mean: number; runs: number }>>,
): StrategyStatsSource {
  return {
    description: `${base.description}; success rate: posterior mean of feedback outcomes (👍/👎, real causes)`,
    async leaderboard() {
      const classes = await base.leaderboard();
      for (const cls of classes) {
        const rates = new Map(
          (await successRates(cls.alertClass)).filter((r) => r.runs > 0).map((r) => [r.strategy, r.mean]),
        );
        for (const s of cls.strategies) s.successRate = rates.get(s.strategy) ?? null;
      }
      return classes;
    },
  };
}
