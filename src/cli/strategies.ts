/**
 * `vigil strategies [class]`: the strategy leaderboard in the terminal, from the same store as the daemon.
 * Without a class it shows every class pooled and lists the classes with history; a class may be a full key
 * (`HighLatency{service,severity}`) or an alert name.
 *
 * @example
 * // in main.ts: case "strategies": return await commandStrategies(rest, config);
 * await commandStrategies(["HighLatency"], { DATABASE_URL: undefined, VIGIL_DATA_DIR: ".vigil/data" });
 */
import { parseArgs } from "node:util";
import { STRATEGIES } from "../../agents/strategies/registry.ts";
import { feedbackSettingsFromEnv } from "../feedback/env-docs.ts";
import { leaderboard, leaderboardText } from "../ranking/leaderboard.ts";
import { openDb } from "../store/db.ts";
import { migrate } from "../store/migrate.ts";

export interface StrategiesCommandConfig {
  DATABASE_URL?: string;
  VIGIL_DATA_DIR?: string;
}

export const STRATEGIES_USAGE = "vigil strategies [alert class | alert name] [--json]";

/** Prints the leaderboard; returns the exit code. */
export async function commandStrategies(
  argv: string[],
  config: StrategiesCommandConfig,
  out: (text: string) => void = (text) => process.stdout.write(text),
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: "boolean", default: false } },
  });
  const settings = feedbackSettingsFromEnv(env);
  const options = {
    labels: settings.classLabels,
    halfLifeDays: settings.halfLifeDays,
    strategies: STRATEGIES.map((s) => s.name),
  };
  const alertClass = positionals.join(" ").trim() || undefined;
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.VIGIL_DATA_DIR });
  try {
    // A fresh data directory has no tables yet; the leaderboard of nothing is still an answer.
    await migrate(db);
    if (values.json) {
      out(`${JSON.stringify(await leaderboard(db, alertClass, options), null, 2)}\n`);
      return 0;
    }
    out(`${await leaderboardText(db, alertClass, options)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
