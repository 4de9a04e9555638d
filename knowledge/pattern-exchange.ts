/**
 * Sharing approved patterns across deployments as JSON. Both directions are guarded: an export that would carry a
 * customer term or anything a detector flags is refused, and so is an import that would bring one in (a pattern
 * naming one of *our* services came from somewhere it should not have).
 *
 * @example
 * const json = await exportPatterns(patterns, anonymizer); // string, versioned envelope
 * const { imported } = await importPatterns(patterns, anonymizer, json);
 */
import { z } from "zod";
import type { Anonymizer, DetectorHit } from "./anonymizer.ts";
import type { LearnedPatternStore } from "./learned-patterns.ts";
import { type PatternContent, patternContentSchema } from "./pattern-schema.ts";
import { assertAnonymous, PatternLeakError } from "./propose-pattern.ts";

export const EXPORT_FORMAT = "vigil.learned-patterns";
export const EXPORT_VERSION = 1;

/** What travels: the generalized content only. Ids, reviewers and the local pseudonyms of `origin` stay home. */
const exportedPatternSchema = patternContentSchema.omit({ origin: true }).strict();
export type ExportedPattern = z.infer<typeof exportedPatternSchema>;

export const patternExportSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    version: z.literal(EXPORT_VERSION),
    exportedAt: z.string().datetime(),
    patterns: z.array(exportedPatternSchema).max(10_000),
  })
  .strict();
export type PatternExport = z.infer<typeof patternExportSchema>;

export class PatternExchangeError extends Error {
  readonly hits: Array<DetectorHit & { in: string; pattern?: number }>;
  constructor(message: string, hits: Array<DetectorHit & { in: string; pattern?: number }> = []) {
    super(message);
    this.name = "PatternExchangeError";
    this.hits = hits;
  }
}

function toExported(content: PatternContent): ExportedPattern {
  return {
    alertClass: content.alertClass,
    signature: content.signature,
    rootCause: content.rootCause,
    foundBy: content.foundBy,
    description: content.description,
  };
}

function listHits(hits: Array<DetectorHit & { in: string; pattern?: number }>): string {
  return hits
    .map((h) => `${h.pattern !== undefined ? `pattern #${h.pattern}: ` : ""}${h.kind} "${h.value}" in "${h.in}"`)
    .join("; ");
}

/** Check every pattern; collect all hits so one error lists everything that must be fixed. */
function checkAll(
  anonymizer: Anonymizer,
  patterns: ExportedPattern[],
): Array<DetectorHit & { in: string; pattern?: number }> {
  const hits: Array<DetectorHit & { in: string; pattern?: number }> = [];
  for (const [i, pattern] of patterns.entries()) {
    try {
      assertAnonymous(anonymizer, pattern);
    } catch (error) {
      if (!(error instanceof PatternLeakError)) throw error;
      for (const hit of error.hits) hits.push({ ...hit, pattern: i + 1 });
    }
  }
  return hits;
}

/** The approved patterns as a versioned JSON envelope (a string, ready to write). */
export async function exportPatterns(
  store: LearnedPatternStore,
  anonymizer: Anonymizer,
  options: { now?: Date } = {},
): Promise<string> {
  const approved = await store.list({ status: "approved" });
  const patterns = approved.map(toExported);
  const hits = checkAll(anonymizer, patterns);
  if (hits.length > 0) {
    throw new PatternExchangeError(
      `export refused: ${hits.length} identifying value(s) would leave: ${listHits(hits)}`,
      hits,
    );
  }
  const envelope: PatternExport = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: (options.now ?? new Date()).toISOString(),
    patterns,
  };
  return `${JSON.stringify(patternExportSchema.parse(envelope), null, 2)}\n`;
}

export interface ImportResult {
  imported: string[];
  /** Ids of patterns this store already had (the same generalized pattern). */
  duplicates: string[];
}

/**
 * Import an export. Patterns arrive as `proposed` unless `status: "approved"` is asked for: what another
 * deployment approved is reviewed here before it is used.
 */
export async function importPatterns(
  store: LearnedPatternStore,
  anonymizer: Anonymizer,
  input: string | unknown,
  options: { status?: "proposed" | "approved" } = {},
): Promise<ImportResult> {
  let raw: unknown = input;
  if (typeof input === "string") {
    try {
      raw = JSON.parse(input);
    } catch (error) {
      throw new PatternExchangeError(`import refused: not JSON (${(error as Error).message})`);
    }
  }
  const parsed = patternExportSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PatternExchangeError(
      `import refused: not a ${EXPORT_FORMAT} v${EXPORT_VERSION} file: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
    );
  }
  const hits = checkAll(anonymizer, parsed.data.patterns);
  if (hits.length > 0) {
    throw new PatternExchangeError(
      `import refused: ${hits.length} identifying value(s) would enter: ${listHits(hits)}`,
      hits,
    );
  }
  const result: ImportResult = { imported: [], duplicates: [] };
  for (const pattern of parsed.data.patterns) {
    const { pattern: stored, created } = await store.propose(pattern, {
      action: "import",
      status: options.status ?? "proposed",
    });
    (created ? result.imported : result.duplicates).push(stored.id);
  }
  return result;
}
