import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Alert } from "../../agents/types.ts";
import { createTestDatabase } from "../../test/helpers/postgres.ts";
import { type Db, openDb } from "./db.ts";
import { InvestigationStore } from "./investigations.ts";
import { listMigrations, migrate } from "./migrate.ts";

const alert: Alert = {
  fingerprint: "abc123",
  alertname: "HighLatency",
  status: "firing",
  labels: { alertname: "HighLatency", service: "checkout" },
  annotations: {},
  startsAt: Date.parse("2026-11-30T10:00:00Z"),
  service: "checkout",
};

function storeContract(name: string, open: () => Promise<Db | { skip: string }>) {
  describe(`src/store on ${name}`, () => {
    let db: Db | undefined;
    let skip: string | undefined;

    before(async () => {
      const opened = await open();
      if ("skip" in opened) skip = opened.skip;
      else db = opened;
    });
    after(async () => {
      await db?.close();
    });

    it("applies every migration once, and again is a no-op", async (t) => {
      if (!db) return t.skip(skip);
      const first = await migrate(db);
      const second = await migrate(db);

      assert.deepEqual(first.applied, listMigrations());
      assert.deepEqual(second.applied, []);
      assert.deepEqual(second.current, listMigrations());
    });

    it("creates one investigation per firing and finds it again for a re-sent alert", async (t) => {
      if (!db) return t.skip(skip);
      const store = new InvestigationStore(db);

      const first = await store.createOrFind({ alert, source: "alertmanager" });
      const again = await store.createOrFind({ alert, source: "alertmanager" });
      const nextFiring = await store.createOrFind({
        alert: { ...alert, startsAt: alert.startsAt + 3_600_000 },
        source: "alertmanager",
      });

      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.record.id, first.record.id);
      assert.equal(nextFiring.created, true);
      assert.deepEqual((await store.get(first.record.id))?.alert, alert);
      const { rows } = await db.query<{ n: string }>("SELECT count(*)::text AS n FROM vigil.alerts");
      assert.equal(rows[0].n, "3", "every received alert is persisted, duplicates included");
    });

    it("moves an investigation through running to done with its result", async (t) => {
      if (!db) return t.skip(skip);
      const store = new InvestigationStore(db);
      const { record } = await store.createOrFind({ alert: { ...alert, fingerprint: "run-1" }, source: "cli" });

      await store.markRunning(record.id);
      await store.setSlackThread(record.id, { channel: "C1", threadTs: "1.000100" });
      await store.setSlackMessage(record.id, "1.000200");
      await store.complete(record.id, { abstained: true } as never);

      const done = await store.get(record.id);
      assert.equal(done?.status, "done");
      assert.equal(done?.attempts, 1);
      assert.deepEqual(done?.result, { abstained: true });
      assert.equal(done?.slackMessageTs, "1.000200");
      assert.equal((await store.findBySlackThread("C1", "1.000100"))?.id, record.id);
    });

    it("lets one worker claim an investigation, hands a dead worker's to another, and holds a global limit", async (t) => {
      if (!db) return t.skip(skip);
      const store = new InvestigationStore(db);
      const a = (await store.createOrFind({ alert: { ...alert, fingerprint: "claim-a" }, source: "cli" })).record;
      const b = (await store.createOrFind({ alert: { ...alert, fingerprint: "claim-b" }, source: "cli" })).record;
      await db.query("UPDATE vigil.investigations SET status = 'done' WHERE id NOT IN ($1, $2)", [a.id, b.id]);

      assert.equal(await store.claim(a.id, 30_000, undefined, 1), "claimed");
      assert.equal(await store.claim(a.id, 30_000), "busy", "a live worker holds it");
      assert.equal(await store.claim(b.id, 30_000, undefined, 1), "at-limit", "one running already fills a limit of 1");
      assert.equal(await store.claim(b.id, 30_000, undefined, 2), "claimed");
      assert.equal(
        await store.claim(a.id, 30_000, new Date(Date.now() + 60_000)),
        "claimed",
        "a worker from before a restart is dead",
      );
      await db.query("UPDATE vigil.investigations SET heartbeat_at = now() - interval '1 hour' WHERE id = $1", [b.id]);
      assert.equal(await store.claim(b.id, 30_000), "claimed", "a stale heartbeat means the worker died");
    });

    it("claims a Slack event id once", async (t) => {
      if (!db) return t.skip(skip);
      const store = new InvestigationStore(db);

      assert.equal(await store.claimSlackEvent("Ev1"), true);
      assert.equal(await store.claimSlackEvent("Ev1"), false);
    });
  });
}

storeContract("PGlite (embedded)", () => openDb({ dataDir: "memory://" }));

let dropPostgres: (() => Promise<void>) | undefined;
storeContract("Postgres", async () => {
  const created = await createTestDatabase();
  if ("skip" in created) {
    console.log(`# skipping Postgres store tests: ${created.skip}`);
    return created;
  }
  dropPostgres = created.drop;
  return openDb({ databaseUrl: created.url });
});
after(async () => {
  await dropPostgres?.();
});
