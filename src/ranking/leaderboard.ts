/**
 * The strategy leaderboard: per alert class (or over every class), each strategy's posterior success rate with a
 * 90% interval, how often it ran and succeeded, and what it costs. One function for the web UI, Slack and the CLI.
 *
 * @example
 * const rows = await leaderboard(db, "HighLatency{service}");
 * const text = formatLeaderboard(rows, "HighLatency{service}");
 * const classes = await listAlertClasses(db); // [{ alertClass, runs }]
 */
import type { Db } from "../store/db.ts";
import { type AlertClassOptions, alertnameOfClass } from "./alert-class.ts";
import { betaInterval } from "./beta.ts";
import {
  buildStrategyStats,
  type LoadStatsOptions,
  loadOutcomeObservations,
  type PriorBoost,
  posteriorOf,
  type StrategyStats,
} from "./statistics.ts";

export interface LeaderboardRow {
  strategy: string;
  /** The class the row is about; undefined for the all-classes board. */
  alertClass?: string;
  mean: number;
  /** 90% central credible interval of the success rate. */
  lower: number;
  upper: number;
  runs: number;
  successes: number;
  meanDurationMs?: number;
  meanQueries?: number;
  meanTokens?: number;
}

export interface LeaderboardOptions extends LoadStatsOptions, AlertClassOptions {
  priorStrength?: number;
  boosts?: PriorBoost[];
  /** Strategies to list even without history (e.g. the registry's names), so a newcomer shows up at its prior. */
  strategies?: string[];
}

/** Rows from statistics already in memory (the benchmark uses this directly). */
export function leaderboardFromStats(
  stats: StrategyStats,
  alertClass: string | undefined,
  options: Pick<LeaderboardOptions, "priorStrength" | "boosts" | "strategies"> = {},
): LeaderboardRow[] {
  const names = new Set<string>(options.strategies ?? []);
  const source = alertClass === undefined ? stats.global : stats.byClass.get(alertClass);
  for (const name of source?.keys() ?? []) names.add(name);
  const rows = [...names].map((strategy) => {
    const p = posteriorOf(stats, alertClass, strategy, options);
    const [lower, upper] = betaInterval(p.alpha, p.beta, 0.9);
    return {
      strategy,
      ...(alertClass === undefined ? {} : { alertClass }),
      mean: p.mean,
      lower,
      upper,
      runs: p.runs,
      successes: p.successes,
      meanDurationMs: p.meanDurationMs,
      meanQueries: p.meanQueries,
      meanTokens: p.meanTokens,
    };
  });
  return rows.sort((a, b) => b.mean - a.mean || b.runs - a.runs || a.strategy.localeCompare(b.strategy));
}

/** The leaderboard of one class, or of every class pooled when `alertClass` is omitted. For the web UI. */
export async function leaderboard(
  db: Pick<Db, "query">,
  alertClass?: string,
  options: LeaderboardOptions = {},
): Promise<LeaderboardRow[]> {
  const stats = buildStrategyStats(await loadOutcomeObservations(db, options), options);
  return leaderboardFromStats(stats, alertClass, options);
}

export interface AlertClassSummary {
  alertClass: string;
  /** Investigations with a judged outcome in this class (any strategy). */
  runs: number;
}

/** The classes with history, busiest first. */
export async function listAlertClasses(
  db: Pick<Db, "query">,
  options: LoadStatsOptions = {},
): Promise<AlertClassSummary[]> {
  const stats = buildStrategyStats(await loadOutcomeObservations(db, options), options);
  return classSummaries(stats);
}

function classSummaries(stats: StrategyStats): AlertClassSummary[] {
  return [...stats.byClass.entries()]
    .map(([alertClass, strategies]) => ({
      alertClass,
      runs: Math.max(0, ...[...strategies.values()].map((s) => s.runs)),
    }))
    .sort((a, b) => b.runs - a.runs || a.alertClass.localeCompare(b.alertClass));
}

/**
 * The text `/vigil strategies [class]` and `vigil strategies [class]` print. The argument may be a full class key
 * or just an alert name, which lists every class of that name.
 */
export async function leaderboardText(
  db: Pick<Db, "query">,
  query: string | undefined,
  options: LeaderboardOptions = {},
): Promise<string> {
  const stats = buildStrategyStats(await loadOutcomeObservations(db, options), options);
  const classes = classSummaries(stats);
  const wanted = query?.trim();
  if (!wanted) {
    const lines = [formatLeaderboard(leaderboardFromStats(stats, undefined, options), "all alert classes")];
    if (classes.length > 0) {
      lines.push("", "Classes with history (`strategies <class>` for one):");
      for (const c of classes.slice(0, 10)) lines.push(`  ${c.alertClass}  (${c.runs} judged)`);
    }
    return lines.join("\n");
  }
  const exact = classes.find((c) => c.alertClass === wanted);
  const matching = exact ? [exact] : classes.filter((c) => alertnameOfClass(c.alertClass) === wanted);
  if (matching.length === 0) {
    return `No feedback yet for alert class "${wanted}": strategies run in registry order until some arrives.`;
  }
  return matching
    .slice(0, 5)
    .map((c) => formatLeaderboard(leaderboardFromStats(stats, c.alertClass, options), c.alertClass))
    .join("\n\n");
}

/** A fixed-width table; Slack shows it in a code block, the terminal as is. */
export function formatLeaderboard(rows: LeaderboardRow[], title: string): string {
  if (rows.length === 0) return `Strategy leaderboard: ${title}\n  (no outcomes yet)`;
  const header = ["strategy", "success", "90% interval", "runs", "found", "time", "queries", "tokens"];
  const body = rows.map((r) => [
    r.strategy,
    pct(r.mean),
    `${pct(r.lower)}–${pct(r.upper)}`,
    String(r.runs),
    trimNumber(r.successes),
    r.meanDurationMs === undefined ? "-" : `${(r.meanDurationMs / 1000).toFixed(1)} s`,
    r.meanQueries === undefined ? "-" : r.meanQueries.toFixed(1),
    r.meanTokens === undefined ? "-" : String(Math.round(r.meanTokens)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [`Strategy leaderboard: ${title}`, line(header), ...body.map(line)].join("\n");
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function trimNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}
