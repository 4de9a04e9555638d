import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * A throwaway database on the Postgres server named by TEST_DATABASE_URL (CI: the local server). Returns
 * undefined, with the reason, when no server is reachable, so the caller can skip with a printed reason.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> } | { skip: string }> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    return { skip: `no Postgres reachable at ${adminUrl}: ${(error as Error).message}` };
  }
  const name = `vigil_test_${randomBytes(6).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
