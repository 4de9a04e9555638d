import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { z } from "zod";
import { promptVersions } from "../../agents/llm/prompts.ts";
import type { Db } from "../store/db.ts";
import { judgePromptVersions } from "./judge-prompts.ts";

/** What produced an investigation or an eval run; recorded with each so a change can be tied to its cause. */
export interface Versions {
  vigil: string;
  /** Strategy folder name → content hash of its files. */
  strategies: Record<string, string>;
  /** Prompt name → content hash (investigation and judge prompts). */
  prompts: Record<string, string>;
  /** The LLM model name, when one is configured. */
  model?: string;
}

export const versionsSchema = z.object({
  vigil: z.string(),
  strategies: z.record(z.string(), z.string()),
  prompts: z.record(z.string(), z.string()),
  model: z.string().optional(),
});

const ROOT = join(import.meta.dirname, "..", "..");
const STRATEGIES_DIR = join(ROOT, "agents", "strategies");

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    // Tests do not change what a strategy does; leaving them out keeps a test-only change from looking like a new
    // strategy version in a comparison.
    else if (!name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

/** sha256 over every file of a folder (relative path and content), first 12 hex, like prompt hashes. */
export function folderHash(dir: string): string {
  const hash = createHash("sha256");
  for (const file of filesUnder(dir)) {
    hash.update(relative(dir, file));
    hash.update("\0");
    hash.update(readFileSync(file));
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 12);
}

/** Content hash of every strategy folder under agents/strategies. */
export function strategyVersions(dir = STRATEGIES_DIR): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    if (statSync(join(dir, name)).isDirectory()) out[name] = folderHash(join(dir, name));
  }
  return out;
}

let vigilVersion: string | undefined;

function readVigilVersion(): string {
  vigilVersion ??= z
    .object({ version: z.string() })
    .parse(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"))).version;
  return vigilVersion;
}

/**
 * The versions to record with an investigation or eval run.
 *
 * @example
 * const versions = collectVersions({ model: llm?.config.model });
 * // { vigil: "0.1.0", strategies: { "golden-signals": "3fa2…" }, prompts: { "rewrite-summary": "9c1e…" }, model: "qwen2.5" }
 */
export function collectVersions(options: { model?: string } = {}): Versions {
  return {
    vigil: readVigilVersion(),
    strategies: strategyVersions(),
    prompts: { ...promptVersions(), ...judgePromptVersions() },
    ...(options.model ? { model: options.model } : {}),
  };
}

/** Which components differ between two version records, e.g. ["strategy golden-signals", "model"]. */
export function diffVersions(before: Versions | undefined, after: Versions | undefined): string[] {
  if (!before || !after) return [];
  const changed: string[] = [];
  if (before.vigil !== after.vigil) changed.push(`vigil ${before.vigil} → ${after.vigil}`);
  if (before.model !== after.model) changed.push(`model ${before.model ?? "none"} → ${after.model ?? "none"}`);
  for (const kind of ["strategies", "prompts"] as const) {
    const names = new Set([...Object.keys(before[kind]), ...Object.keys(after[kind])]);
    for (const name of [...names].sort()) {
      const a = before[kind][name];
      const b = after[kind][name];
      if (a !== b)
        changed.push(`${kind === "strategies" ? "strategy" : "prompt"} ${name} ${a ?? "none"} → ${b ?? "none"}`);
    }
  }
  return changed;
}

/** Store the versions that produced an investigation (migration 021). */
export async function saveInvestigationVersions(
  db: Pick<Db, "query">,
  investigationId: string,
  versions: Versions,
): Promise<void> {
  await db.query(
    `INSERT INTO vigil.investigation_versions (investigation_id, versions) VALUES ($1, $2)
     ON CONFLICT (investigation_id) DO UPDATE SET versions = EXCLUDED.versions, recorded_at = now()`,
    [investigationId, JSON.stringify(versions)],
  );
}

export async function loadInvestigationVersions(
  db: Pick<Db, "query">,
  investigationId: string,
): Promise<Versions | undefined> {
  const { rows } = await db.query<{ versions: unknown }>(
    "SELECT versions FROM vigil.investigation_versions WHERE investigation_id = $1",
    [investigationId],
  );
  const raw = rows[0]?.versions;
  if (raw === undefined) return undefined;
  return versionsSchema.parse(typeof raw === "string" ? JSON.parse(raw) : raw);
}
