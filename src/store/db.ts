import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/**
 * The one database handle the daemon uses. The same SQL runs on the embedded PGlite store (a data directory, the
 * default) and on a Postgres server (`DATABASE_URL`), so there is one schema and one set of migrations.
 */
export interface Db {
  readonly kind: "pglite" | "postgres";
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Run statements without parameters (may hold several). */
  exec(sql: string): Promise<void>;
  /** Run `fn` in one transaction on one connection. */
  transaction<T>(fn: (tx: Pick<Db, "query" | "exec">) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

class PgliteDb implements Db {
  readonly kind = "pglite" as const;
  constructor(private readonly pglite: PGlite) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<{ rows: T[] }> {
    if (params.length === 0) {
      // Without parameters use the simple protocol, which (like Postgres) accepts several statements at once.
      const results = await this.pglite.exec(sql);
      return { rows: (results.at(-1)?.rows ?? []) as T[] };
    }
    const result = await this.pglite.query<T>(sql, params);
    return { rows: result.rows };
  }

  async exec(sql: string): Promise<void> {
    await this.pglite.exec(sql);
  }

  transaction<T>(fn: (tx: Pick<Db, "query" | "exec">) => Promise<T>): Promise<T> {
    return this.pglite.transaction(async (tx) =>
      fn({
        query: async <R>(sql: string, params: unknown[] = []) => ({ rows: (await tx.query<R>(sql, params)).rows }),
        exec: async (sql: string) => {
          await tx.exec(sql);
        },
      }),
    );
  }

  async close(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}

class PostgresDb implements Db {
  readonly kind = "postgres" as const;
  constructor(readonly pool: pg.Pool) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<{ rows: T[] }> {
    const result = (await this.pool.query(sql, params)) as pg.QueryResult | pg.QueryResult[];
    // Several statements without parameters answer with one result each; the last is the one asked for.
    const last = Array.isArray(result) ? result.at(-1) : result;
    return { rows: (last?.rows ?? []) as T[] };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Pick<Db, "query" | "exec">) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn({
        query: async <R>(sql: string, params: unknown[] = []) => ({
          rows: (await client.query(sql, params)).rows as R[],
        }),
        exec: async (sql: string) => {
          await client.query(sql);
        },
      });
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export interface OpenDbOptions {
  databaseUrl?: string;
  /** PGlite data directory; `memory://` for an in-memory store (tests). */
  dataDir?: string;
}

export async function openDb(options: OpenDbOptions): Promise<Db> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    // An idle client's error (a server restart) must not crash the daemon; the next query reconnects.
    pool.on("error", () => undefined);
    return new PostgresDb(pool);
  }
  const dataDir = options.dataDir ?? ".vigil/data";
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  return new PgliteDb(pglite);
}
