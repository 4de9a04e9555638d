import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { FixtureError } from "../tools/fixture/loader.ts";
import { formatSummary } from "./cli/format-summary.ts";
import { ConfigError, ENV_DOCS, loadConfig } from "./config.ts";
import { investigateFixture } from "./investigate-fixture.ts";
import { createLogger } from "./logger.ts";

const VERSION = "0.1.0";

export const HELP = `vigil ${VERSION}: an AI SRE that investigates alerts with read-only access and reports evidence-backed causes

Usage:
  vigil serve                          Run the daemon: webhooks, Slack, queue and workers
  vigil investigate --fixture DIR      Investigate one incident fixture and print the summary
        [--json]                       Print the machine-readable result instead of the summary
        [--out PATH]                   Also write the result JSON (a file, or a directory for <case-id>.json)
        [--strategies a,b]             Run only these strategies
  vigil eval SETDIR                    Investigate every case of a fixture set and score it against its answers
        [--answers DIR]                Answers directory (default SETDIR/answers)
        [--out DIR]                    Write one result JSON per case
        [--strategies a,b]             Run only these strategies
        [--json]                       Print the scores as JSON
        [--compare PREVIOUS_OUT]       Compare case by case with an earlier run's --out (needs --out)
        [--fail-on-regression]         Exit 1 when AC@1 or a judge pass ratio got worse beyond the threshold
        [--regression-threshold X]     Allowed drop (default 0.02)
  vigil fixture export ID OUTDIR       Write a replayable fixture from an investigation's recorded tool results
        [--anonymize]                  Pseudonymize names (needs VIGIL_ANONYMIZER_KEY)
  vigil strategies [CLASS] [--json]    The strategy leaderboard per alert class (from feedback outcomes)
  vigil patterns list|show|approve|reject|edit|export|import
                                       Review learned patterns (see \`vigil patterns\` for details)
  vigil insights [--tenant T] [--min-size N] [--since-days D] [--json]
                                       Cluster finished investigations into what Vigil cannot do yet
  vigil migrate                        Apply database migrations and exit
  vigil help | --help | -h             Show this help
  vigil --version                      Print the version

Environment (serve, migrate, fixture, patterns, strategies, insights):
${ENV_DOCS.map((e) => `  ${e.name.padEnd(26)} ${e.description}${e.default ? ` (default ${e.default})` : ""}`).join("\n")}

Endpoints of \`vigil serve\`:
  POST /webhooks/alertmanager   Alertmanager webhook receiver (JSON, version 4)
  POST /slack/events            Slack Events API and interactivity (signature verified)
  GET  /healthz, /readyz        Liveness and readiness
  GET  /metrics                 Prometheus metrics of the daemon
  GET  /api/investigations[/ID] Investigations and their results (JSON)
`;

class UsageError extends Error {}
/** Input named on the command line that does not exist or is not what the command needs (EX_NOINPUT). */
class InputError extends Error {}

/** Commands that take no arguments refuse any, so a mistyped flag is not silently ignored. */
function noArguments(command: string, args: string[]): void {
  parseArgs({ args, options: {}, strict: true, allowPositionals: false });
  if (args.length > 0) throw new UsageError(`${command} takes no arguments`);
}

function splitList(value: string | undefined): string[] | undefined {
  return value
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

async function commandInvestigate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      fixture: { type: "string" },
      json: { type: "boolean", default: false },
      out: { type: "string" },
      strategies: { type: "string" },
    },
    strict: true,
  });
  if (!values.fixture) throw new UsageError("investigate needs --fixture DIR (a case directory with manifest.json)");
  const result = await investigateFixture(values.fixture, { strategies: splitList(values.strategies) });
  if (values.out) {
    const path = values.out.endsWith(".json") ? values.out : join(values.out, `${result.caseId ?? "result"}.json`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
    if (!values.json) process.stderr.write(`result written to ${path}\n`);
  }
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatSummary(result)}\n`);
  return 0;
}

async function commandEval(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      answers: { type: "string" },
      out: { type: "string" },
      strategies: { type: "string" },
      json: { type: "boolean", default: false },
      compare: { type: "string" },
      "fail-on-regression": { type: "boolean", default: false },
      "regression-threshold": { type: "string" },
    },
    strict: true,
  });
  const setDir = positionals[0];
  if (!setDir) throw new UsageError("eval needs SETDIR (a fixture set with cases/)");
  if (values.compare && !values.out) throw new UsageError("--compare needs --out DIR for this run's results");
  if (positionals.length > 1) throw new UsageError(`eval takes one SETDIR, got ${positionals.length}`);
  if (!existsSync(join(setDir, "cases"))) throw new InputError(`${setDir} is not a fixture set: cases/ is missing`);
  const { runEval, formatEvalReport } = await import("./eval/run-eval.ts");
  const { judgeInvestigation } = await import("./quality/judges.ts");
  const { llmConfigFromEnv } = await import("../agents/llm/config.ts");
  const { LlmClient } = await import("../agents/llm/client.ts");
  const llmConfig = llmConfigFromEnv(process.env);
  const llm = llmConfig ? new LlmClient(llmConfig) : undefined;
  const report = await runEval({
    setDir,
    answersDir: values.answers,
    outDir: values.out,
    strategies: splitList(values.strategies),
    judge: (result) => judgeInvestigation(result, { llm }),
    model: llmConfig?.model,
    onCase: values.json ? undefined : (id, i, n) => process.stderr.write(`\r[${i}/${n}] ${id}   `),
  });
  if (!values.json) process.stderr.write("\n");
  let comparison: unknown;
  let regressed: { regressed: boolean; reasons: string[] } | undefined;
  if (values.compare && values.out) {
    const { compareRuns, formatComparison, regressionCheck } = await import("./eval/compare.ts");
    const compared = compareRuns(values.compare, values.out, values.answers ?? join(setDir, "answers"));
    const threshold = values["regression-threshold"] ? Number(values["regression-threshold"]) : undefined;
    if (threshold !== undefined && !Number.isFinite(threshold)) {
      throw new UsageError("--regression-threshold must be a number (a drop in AC@1, e.g. 0.02)");
    }
    regressed = regressionCheck(compared, { threshold });
    comparison = compared;
    if (!values.json) process.stdout.write(`${formatEvalReport(report)}\n\n${formatComparison(compared)}\n`);
  } else if (!values.json) {
    process.stdout.write(`${formatEvalReport(report)}\n`);
  }
  if (values.json) process.stdout.write(`${JSON.stringify(comparison ? { report, comparison } : report, null, 2)}\n`);
  if (values["fail-on-regression"] && regressed?.regressed) {
    process.stderr.write(
      `vigil: regression beyond the threshold:\n${regressed.reasons.map((r) => `  - ${r}`).join("\n")}\n`,
    );
    return 1;
  }
  return 0;
}

/**
 * A rejection nobody handled is logged and the daemon keeps serving (the work it belonged to is retried by the
 * queue); an uncaught exception leaves the process in an unknown state, so it is logged and the process exits
 * for the supervisor to restart it (accepted alerts are persisted and resumed).
 */
export function installProcessHandlers(logger: ReturnType<typeof createLogger>): () => void {
  const onRejection = (reason: unknown) => {
    logger.error({ err: reason, event: "unhandledRejection" }, "Unhandled promise rejection; still running");
  };
  const onException = (error: Error) => {
    logger.fatal({ err: error, event: "uncaughtException" }, "Uncaught exception; exiting");
    process.exit(70); // EX_SOFTWARE
  };
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return () => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  };
}

async function commandPatterns(args: string[]): Promise<number> {
  const config = loadConfig();
  if (!config.VIGIL_ANONYMIZER_KEY)
    throw new UsageError("patterns needs VIGIL_ANONYMIZER_KEY (the per-install secret)");
  const { openDb } = await import("./store/db.ts");
  const { migrate } = await import("./store/migrate.ts");
  const { CustomerContextStore } = await import("../knowledge/customer-context.ts");
  const { runPatternsCommand } = await import("./cli/patterns.ts");
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.VIGIL_DATA_DIR });
  try {
    await migrate(db);
    const context = new CustomerContextStore(db);
    const anonymizer = await context.anonymizerFor(config.VIGIL_TENANT, config.VIGIL_ANONYMIZER_KEY);
    const code = await runPatternsCommand(args, { db, anonymizer, out: process.stdout, err: process.stderr });
    await context.flushPseudonyms(anonymizer);
    return code;
  } finally {
    await db.close();
  }
}

async function commandServe(args: string[]): Promise<number> {
  noArguments("serve", args);
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  installProcessHandlers(logger);
  const { startDaemon } = await import("./daemon.ts");
  const daemon = await startDaemon(config, logger);
  if (config.HOST === "127.0.0.1" || config.HOST === "localhost") {
    logger.info({ host: config.HOST }, "Bound to loopback only; set HOST=0.0.0.0 to accept remote webhooks");
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, "Shutting down");
      daemon.stop().then(resolve, resolve);
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
  return 0;
}

async function commandMigrate(args: string[]): Promise<number> {
  noArguments("migrate", args);
  const config = loadConfig();
  const { openDb } = await import("./store/db.ts");
  const { migrate } = await import("./store/migrate.ts");
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.VIGIL_DATA_DIR });
  try {
    const result = await migrate(db);
    process.stdout.write(
      `store: ${db.kind}; applied: ${result.applied.join(", ") || "none"}; current: ${result.current.join(", ")}\n`,
    );
  } finally {
    await db.close();
  }
  return 0;
}

/** The CLI entry point; returns the exit code. Errors the user can fix are printed without a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(HELP);
        return 0;
      case "--version":
      case "version":
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case "serve":
        return await commandServe(rest);
      case "investigate":
        return await commandInvestigate(rest);
      case "eval":
        return await commandEval(rest);
      case "migrate":
        return await commandMigrate(rest);
      case "fixture": {
        const { runFixtureCommand } = await import("./cli/fixture-command.ts");
        process.stdout.write(`${await runFixtureCommand(rest, loadConfig())}\n`);
        return 0;
      }
      case "insights": {
        const { commandInsights } = await import("./quality/insights-cli.ts");
        return await commandInsights(rest);
      }
      case "patterns":
        return await commandPatterns(rest);
      case "strategies": {
        const { commandStrategies } = await import("./cli/strategies.ts");
        return await commandStrategies(rest, loadConfig());
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`vigil: ${error.message}\n`);
      return 78; // EX_CONFIG
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`vigil: ${(error as Error).message}\nRun \`vigil --help\` for usage.\n`);
      return 64; // EX_USAGE
    }
    if ((error as Error)?.name === "FixtureCommandError" || error instanceof FixtureError) {
      process.stderr.write(`vigil: ${(error as Error).message}\n`);
      return 65; // EX_DATAERR
    }
    if (error instanceof InputError) {
      process.stderr.write(`vigil: ${error.message}\n`);
      return 66; // EX_NOINPUT
    }
    const code = (error as { code?: unknown })?.code;
    if (
      typeof code === "string" &&
      /^E[A-Z]+$/.test(code) &&
      typeof (error as { syscall?: unknown }).syscall === "string"
    ) {
      // A file the user named could not be read or written (ENOENT, EACCES, EISDIR…): the message says which.
      process.stderr.write(`vigil: ${(error as Error).message}\n`);
      return 74; // EX_IOERR
    }
    process.stderr.write(`vigil: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}
