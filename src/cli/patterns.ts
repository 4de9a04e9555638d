/**
 * `vigil patterns …`: review and share learned patterns from the shell.
 *
 * @example
 * const code = await runPatternsCommand(["list", "--status", "proposed"], { db, anonymizer, out: process.stdout });
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Anonymizer } from "../../knowledge/anonymizer.ts";
import { LearnedPatternStore, PatternNotFoundError } from "../../knowledge/learned-patterns.ts";
import { exportPatterns, importPatterns, PatternExchangeError } from "../../knowledge/pattern-exchange.ts";
import { type LearnedPattern, PATTERN_STATUSES, type PatternStatus } from "../../knowledge/pattern-schema.ts";
import { describeSignature, PatternLeakError } from "../../knowledge/propose-pattern.ts";
import { displayName, displayText } from "../../knowledge/review-blocks.ts";
import type { Db } from "../store/db.ts";

export const PATTERNS_USAGE = `Usage: vigil patterns <command>

  list [--status proposed|approved|rejected] [--json]   List learned patterns
  show ID [--json]                                      Show one pattern and its reviews
  approve ID [--by NAME]                                Approve: the pattern is used from now on
  reject ID [--reason R] [--by NAME]                    Reject: the pattern is never used
  edit ID --description D [--by NAME]                   Reword a pattern (anonymized again on save)
  export FILE                                           Write approved patterns as JSON (FILE "-" for stdout)
  import FILE [--approve]                               Read patterns exported elsewhere (as proposed unless --approve)

Patterns are stored anonymized; names are revealed here because this CLI runs within the install that issued
the pseudonyms. Export and import refuse any pattern that still carries a customer name, address, URL or secret.
`;

export interface PatternsCommandDeps {
  /** Opened and migrated, like \`vigil migrate\` does it. */
  db: Db;
  anonymizer: Anonymizer;
  out: { write(s: string): unknown };
  /** Errors and usage go here (default: `out`). */
  err?: { write(s: string): unknown };
  /** Who reviews when --by is not given (default: $USER, or "cli"). */
  reviewer?: string;
}

class UsageError extends Error {}

function needId(positionals: string[], command: string): string {
  const id = positionals[0];
  if (!id) throw new UsageError(`patterns ${command} needs a pattern ID (see \`vigil patterns list\`)`);
  return id;
}

function formatLine(pattern: LearnedPattern): string {
  const seen = pattern.occurrences > 1 ? ` ×${pattern.occurrences}` : "";
  return `${pattern.id}  ${pattern.status.padEnd(8)}  ${pattern.alertClass.alertname} → ${pattern.rootCause.faultClass} (${pattern.rootCause.where})${seen}`;
}

function formatPattern(pattern: LearnedPattern, anonymizer: Anonymizer): string {
  const lines = [
    `${pattern.id}  [${pattern.status}]  seen ${pattern.occurrences}×`,
    `  ${displayText(anonymizer, pattern.description)}`,
    `  alert class: ${pattern.alertClass.alertname} {${pattern.alertClass.labelKeys.join(", ")}}`,
    `  symptoms:    ${describeSignature(pattern.signature) || "none recorded"}`,
    `  root cause:  ${pattern.rootCause.faultClass} in a ${pattern.rootCause.where} service${
      pattern.rootCause.mechanism ? ` (${pattern.rootCause.mechanism})` : ""
    }`,
    `  found by:    ${pattern.foundBy.strategies.join(", ") || "no strategy"}`,
  ];
  for (const check of pattern.foundBy.checks) lines.push(`    - ${check}`);
  if (pattern.origin?.entryService)
    lines.push(`  alerted:     ${displayName(anonymizer, pattern.origin.entryService)}`);
  if (pattern.origin?.causeService)
    lines.push(`  cause:       ${displayName(anonymizer, pattern.origin.causeService)}`);
  if (pattern.reviewedBy) {
    lines.push(
      `  reviewed by: ${anonymizer.reveal(pattern.reviewedBy) ?? pattern.reviewedBy} at ${pattern.reviewedAt?.toISOString()}`,
    );
  }
  return lines.join("\n");
}

/** Run `vigil patterns ARGS`; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runPatternsCommand(args: string[], deps: PatternsCommandDeps): Promise<number> {
  const err = deps.err ?? deps.out;
  try {
    return await dispatch(args, deps);
  } catch (error) {
    if (error instanceof UsageError) {
      err.write(`vigil patterns: ${error.message}\n\n${PATTERNS_USAGE}`);
      return 2;
    }
    if (
      error instanceof PatternNotFoundError ||
      error instanceof PatternExchangeError ||
      error instanceof PatternLeakError
    ) {
      err.write(`vigil patterns: ${error.message}\n`);
      return 1;
    }
    // parseArgs reports unknown or malformed options with a code; those are usage errors too.
    if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      err.write(`vigil patterns: ${(error as Error).message}\n\n${PATTERNS_USAGE}`);
      return 2;
    }
    throw error;
  }
}

async function dispatch(args: string[], deps: PatternsCommandDeps): Promise<number> {
  const [command, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      status: { type: "string" },
      json: { type: "boolean", default: false },
      reason: { type: "string" },
      description: { type: "string" },
      by: { type: "string" },
      approve: { type: "boolean", default: false },
    },
  });
  const store = new LearnedPatternStore(deps.db, { anonymizer: deps.anonymizer });
  const reviewer = values.by ?? deps.reviewer ?? process.env.USER ?? "cli";
  const { out, anonymizer } = deps;

  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      out.write(PATTERNS_USAGE);
      return 0;
    case "list": {
      const status = values.status;
      if (status !== undefined && !PATTERN_STATUSES.includes(status as PatternStatus)) {
        throw new UsageError(`--status must be one of ${PATTERN_STATUSES.join(", ")}, not "${status}"`);
      }
      const patterns = await store.list(status ? { status: status as PatternStatus } : {});
      if (values.json) {
        out.write(`${JSON.stringify(patterns, null, 2)}\n`);
        return 0;
      }
      if (patterns.length === 0) {
        out.write(status ? `no ${status} patterns\n` : "no patterns yet\n");
        return 0;
      }
      for (const p of patterns) out.write(`${formatLine(p)}\n`);
      return 0;
    }
    case "show": {
      const id = needId(positionals, "show");
      const pattern = await store.get(id);
      if (!pattern) throw new PatternNotFoundError(id);
      if (values.json) {
        out.write(`${JSON.stringify(pattern, null, 2)}\n`);
        return 0;
      }
      out.write(`${formatPattern(pattern, anonymizer)}\n`);
      const reviews = await store.reviews(id);
      if (reviews.length > 0) out.write("  history:\n");
      for (const r of reviews) {
        const who = r.reviewer ? ` by ${anonymizer.reveal(r.reviewer) ?? r.reviewer}` : "";
        out.write(`    ${r.at.toISOString()} ${r.action}${who}${r.reason ? `: ${r.reason}` : ""}\n`);
      }
      return 0;
    }
    case "approve": {
      const pattern = await store.approve(needId(positionals, "approve"), reviewer);
      out.write(`approved ${pattern.id}: it is used as a prior for matching alerts from now on\n`);
      return 0;
    }
    case "reject": {
      const pattern = await store.reject(needId(positionals, "reject"), reviewer, values.reason);
      out.write(`rejected ${pattern.id}\n`);
      return 0;
    }
    case "edit": {
      const id = needId(positionals, "edit");
      if (!values.description?.trim()) throw new UsageError("patterns edit needs --description D");
      const pattern = await store.edit(id, { description: values.description }, reviewer);
      out.write(`edited ${pattern.id}: ${displayText(anonymizer, pattern.description)}\n`);
      return 0;
    }
    case "export": {
      const file = positionals[0];
      if (!file) throw new UsageError('patterns export needs FILE (or "-" for stdout)');
      const json = await exportPatterns(store, anonymizer);
      if (file === "-") {
        out.write(json);
        return 0;
      }
      writeFileSync(file, json);
      const count = (JSON.parse(json) as { patterns: unknown[] }).patterns.length;
      out.write(`exported ${count} approved pattern${count === 1 ? "" : "s"} to ${file}\n`);
      return 0;
    }
    case "import": {
      const file = positionals[0];
      if (!file) throw new UsageError("patterns import needs FILE");
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (error) {
        throw new PatternExchangeError(`cannot read ${file}: ${(error as Error).message}`);
      }
      const result = await importPatterns(store, anonymizer, text, {
        status: values.approve ? "approved" : "proposed",
      });
      const as = values.approve ? "approved" : "proposed (approve each with `vigil patterns approve ID`)";
      out.write(
        `imported ${result.imported.length} pattern${result.imported.length === 1 ? "" : "s"} as ${as}; ${result.duplicates.length} already known\n`,
      );
      for (const id of result.imported) out.write(`  ${id}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}
