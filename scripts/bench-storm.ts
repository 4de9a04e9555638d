/**
 * Alert storm benchmark (`npm run bench`): 1,000 alerts (30% duplicates, 50 groups) posted within 10 s, to two
 * replicas on Postgres and to one replica on the embedded store. Prints acceptance, grouping, time to drain,
 * webhook latency percentiles and peak memory per replica. Figures are printed, not asserted.
 */
import { readFileSync } from "node:fs";
import pg from "pg";
import { type DaemonProcess, startDaemon } from "../test/harness/daemon.ts";
import { createTestDatabase } from "../test/helpers/postgres.ts";

const TOTAL = 1000;
const GROUPS = 50;
const DUPLICATE_SHARE = 0.3;
const SPREAD_MS = 10_000;

function peakRssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

function buildAlerts() {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const unique = Math.round(TOTAL * (1 - DUPLICATE_SHARE));
  const distinct = Array.from({ length: unique }, (_, i) => ({
    status: "firing",
    labels: { alertname: `Storm${i % 7}`, service: `svc-${i % GROUPS}`, pod: `pod-${i}`, severity: "warning" },
    annotations: {},
    startsAt,
    fingerprint: `storm${String(i).padStart(11, "0")}`,
  }));
  const all = [...distinct];
  for (let i = 0; all.length < TOTAL; i++) all.push(distinct[(i * 7) % unique]);
  return all;
}

async function storm(name: string, daemons: DaemonProcess[], count: (sql: string) => Promise<number>) {
  const alerts = buildAlerts();
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let errors = 0;
  const started = Date.now();
  await Promise.all(
    alerts.map(async (alert, i) => {
      await new Promise((r) => setTimeout(r, (i / alerts.length) * SPREAD_MS));
      const target = daemons[i % daemons.length];
      const t0 = performance.now();
      const res = await fetch(`${target.url}/webhooks/alertmanager`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ version: "4", status: "firing", receiver: "vigil", alerts: [alert] }),
      }).catch(() => undefined);
      latencies.push(performance.now() - t0);
      if (res?.status !== 202) errors += 1;
      const body = (await res?.json().catch(() => undefined)) as { alerts?: Array<{ status: string }> } | undefined;
      for (const a of body?.alerts ?? []) outcomes[a.status] = (outcomes[a.status] ?? 0) + 1;
    }),
  );
  const accepted = Date.now() - started;
  let investigations = 0;
  for (;;) {
    investigations = await count("SELECT count(*)::int AS n FROM vigil.investigations");
    const open = await count(
      "SELECT count(*)::int AS n FROM vigil.investigations WHERE status IN ('queued','running')",
    );
    if (open === 0 || Date.now() - started > 600_000) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const drained = Date.now() - started;
  const attached = await count("SELECT count(*)::int AS n FROM vigil.investigation_alerts");
  console.log(`${name}`);
  console.log(`  ${TOTAL} alerts posted over ${(accepted / 1000).toFixed(1)} s, ${errors} errors`);
  console.log(
    `  webhook answers: ${Object.entries(outcomes)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ")}`,
  );
  console.log(
    `  investigations: ${outcomes.accepted ?? 0} started (stored: ${investigations}; expected ${GROUPS}, one per group)` +
      (Number.isNaN(attached)
        ? ""
        : `; distinct alerts attached: ${attached} (expected ${Math.round(TOTAL * (1 - DUPLICATE_SHARE))})`),
  );
  console.log(`  time to drain: ${(drained / 1000).toFixed(1)} s`);
  console.log(
    `  webhook latency: p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms`,
  );
  for (const [i, d] of daemons.entries()) console.log(`  replica ${i + 1}: peak RSS ${peakRssMb(d.child.pid)} MB`);
}

const env = { VIGIL_GROUP_WINDOW_SECONDS: "300", VIGIL_CONCURRENCY: "4", LOG_LEVEL: "warn" };

const database = process.env.BENCH_STORM_EMBEDDED_ONLY
  ? { skip: "BENCH_STORM_EMBEDDED_ONLY is set" }
  : await createTestDatabase();
if ("skip" in database) {
  console.log(`Two replicas on Postgres: skipped (${database.skip})`);
} else {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const a = await startDaemon({ ...env, DATABASE_URL: database.url, LOG_LEVEL: "info" });
  const b = await startDaemon({ ...env, DATABASE_URL: database.url, LOG_LEVEL: "info" });
  await storm("Two replicas on Postgres", [a, b], async (sql) => (await client.query<{ n: number }>(sql)).rows[0].n);
  await a.stop();
  await b.stop();
  await client.end();
  await database.drop();
}

{
  const single = await startDaemon({ ...env, LOG_LEVEL: "info" });
  // The embedded store belongs to the daemon process; count through its API instead of opening the data dir.
  // The list is paginated: read the totals it reports, per status where the SQL asks for some.
  const total = async (status?: string) => {
    const res = await fetch(`${single.url}/api/investigations?pageSize=1${status ? `&status=${status}` : ""}`);
    return ((await res.json()) as { total: number }).total;
  };
  const count = async (sql: string) => {
    if (sql.includes("investigation_alerts")) return Number.NaN;
    if (sql.includes("status IN")) return (await total("queued")) + (await total("running"));
    return total();
  };
  await storm("One replica on the embedded store (PGlite)", [single], count);
  await single.stop();
}
