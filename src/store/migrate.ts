import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Db } from "./db.ts";

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "migrations");
/** Arbitrary constant: serializes migrations when several replicas start against one Postgres. */
const MIGRATION_LOCK_ID = 7_160_445_001;

export interface MigrationResult {
  applied: string[];
  current: string[];
}

export function listMigrations(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith(".sql"))
    .sort();
}

/** Apply every migration not applied yet, in order, each in its own transaction, under an advisory lock. */
export async function migrate(db: Db): Promise<MigrationResult> {
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS vigil;
      CREATE TABLE IF NOT EXISTS vigil.schema_migrations (
        name text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      );`);
    const { rows } = await tx.query<{ name: string }>("SELECT name FROM vigil.schema_migrations");
    const done = new Set(rows.map((r) => r.name));
    for (const name of listMigrations()) {
      if (done.has(name)) continue;
      await tx.exec(readFileSync(join(MIGRATIONS_DIR, name), "utf8"));
      await tx.query("INSERT INTO vigil.schema_migrations (name) VALUES ($1)", [name]);
      applied.push(name);
    }
  });
  const { rows } = await db.query<{ name: string }>("SELECT name FROM vigil.schema_migrations ORDER BY name");
  return { applied, current: rows.map((r) => r.name) };
}
