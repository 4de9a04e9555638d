/**
 * The customer-context store: what one tenant told Vigil about its systems (service catalog, topology, signal
 * catalog overrides, runbooks, past incidents) and the pseudonym map that reveals learned patterns' names within
 * the install. Every row carries its tenant; `deleteTenant` removes all of them and touches nothing else.
 *
 * @example
 * const ctx = new CustomerContextStore(db);
 * await ctx.upsertService("acme", { name: "checkout", team: "payments", tier: "1" });
 * const anonymizer = await ctx.anonymizerFor("acme", process.env.VIGIL_ANONYMIZER_KEY ?? "");
 */
import { z } from "zod";
import type { Db } from "../src/store/db.ts";
import type { Topology } from "../tools/interfaces.ts";
import { Anonymizer, PSEUDONYM_KINDS, type PseudonymEntry } from "./anonymizer.ts";

export const serviceEntrySchema = z.object({
  name: z.string().min(1).max(200),
  team: z.string().max(200).optional(),
  tier: z.string().max(50).optional(),
  namespace: z.string().max(200).optional(),
  aliases: z.array(z.string().max(200)).max(50).optional(),
  hosts: z.array(z.string().max(300)).max(100).optional(),
  dependsOn: z.array(z.string().max(200)).max(200).optional(),
  description: z.string().max(2000).optional(),
  links: z.record(z.string(), z.string().max(2000)).optional(),
});
export type ServiceEntry = z.infer<typeof serviceEntrySchema>;

export const signalOverrideSchema = z.object({
  signal: z.string().min(1).max(200),
  kind: z.string().max(50).optional(),
  query: z.string().max(5000).optional(),
  unit: z.string().max(50).optional(),
  threshold: z.number().optional(),
});
export type SignalOverride = z.infer<typeof signalOverrideSchema>;

export const pastIncidentSchema = z.object({
  id: z.string().min(1).max(200),
  occurredAt: z.number().int(),
  service: z.string().max(200).optional(),
  title: z.string().max(500),
  cause: z.string().max(2000).optional(),
  faultClass: z.string().max(50).optional(),
  resolution: z.string().max(5000).optional(),
  investigationId: z.string().max(200).optional(),
});
export type PastIncident = z.infer<typeof pastIncidentSchema>;

export interface Runbook {
  id: string;
  title: string;
  services: string[];
  alerts: string[];
  frontMatter: Record<string, string | string[]>;
  body: string;
}

export class RunbookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunbookError";
  }
}

function unquote(value: string): string {
  const v = value.trim();
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) return v.slice(1, -1);
  return v;
}

/**
 * Parse a Markdown runbook with simple front matter (`key: value`, `key: [a, b]`, or `key:` followed by `- item`
 * lines). Deliberately not full YAML: runbooks need a handful of flat keys, and a small parser has no surprises.
 */
export function parseRunbook(markdown: string, fallbackId?: string): Runbook {
  const text = markdown.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n");
  const frontMatter: Record<string, string | string[]> = {};
  let body = text;
  if (text.startsWith("---\n")) {
    const end = text.indexOf("\n---", 4);
    if (end < 0) throw new RunbookError("front matter starts with --- but never ends");
    const header = text.slice(4, end);
    body = text.slice(end + 4).replace(/^[^\n]*\n/, "");
    let listKey: string | undefined;
    for (const [i, raw] of header.split("\n").entries()) {
      const line = raw.replace(/\s+#.*$/, "");
      if (!line.trim()) continue;
      const item = /^\s*-\s+(.*)$/.exec(line);
      if (item && listKey) {
        (frontMatter[listKey] as string[]).push(unquote(item[1] ?? ""));
        continue;
      }
      const kv = /^([A-Za-z0-9_.-]+)\s*:\s*(.*)$/.exec(line);
      if (!kv) throw new RunbookError(`front matter line ${i + 1} is not "key: value": ${raw.trim()}`);
      const key = kv[1] as string;
      const value = (kv[2] ?? "").trim();
      listKey = undefined;
      if (value === "") {
        frontMatter[key] = [];
        listKey = key;
      } else if (value.startsWith("[") && value.endsWith("]")) {
        frontMatter[key] = value
          .slice(1, -1)
          .split(",")
          .map(unquote)
          .filter((s) => s.length > 0);
      } else {
        frontMatter[key] = unquote(value);
      }
    }
  }
  const list = (key: string): string[] => {
    const v = frontMatter[key];
    if (v === undefined) return [];
    return Array.isArray(v) ? v : [v];
  };
  const heading = /^#\s+(.+)$/m.exec(body)?.[1]?.trim();
  const title = (typeof frontMatter.title === "string" ? frontMatter.title : undefined) ?? heading ?? fallbackId;
  const id = (typeof frontMatter.id === "string" ? frontMatter.id : undefined) ?? fallbackId ?? slug(title ?? "");
  if (!id) throw new RunbookError("runbook has no id: add `id:` or `title:` to its front matter");
  return {
    id,
    title: title ?? id,
    services: [...list("services"), ...list("service")],
    alerts: [...list("alerts"), ...list("alert")],
    frontMatter,
    body,
  };
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

function json<T>(value: T | string): T {
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}

const TENANT_TABLES = [
  "ctx_services",
  "ctx_topology",
  "ctx_signal_overrides",
  "ctx_runbooks",
  "ctx_incidents",
  "ctx_pseudonyms",
] as const;

const pseudonymEntrySchema = z.object({
  pseudonym: z.string(),
  kind: z.enum(PSEUDONYM_KINDS),
  original: z.string(),
});

/** Only this module writes the `vigil.ctx_*` tables. */
export class CustomerContextStore {
  constructor(private readonly db: Db) {}

  async upsertService(tenant: string, entry: ServiceEntry): Promise<void> {
    const parsed = serviceEntrySchema.parse(entry);
    await this.db.query(
      `INSERT INTO vigil.ctx_services (tenant, name, data) VALUES ($1, $2, $3)
       ON CONFLICT (tenant, name) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`,
      [tenant, parsed.name, JSON.stringify(parsed)],
    );
  }

  async services(tenant: string): Promise<ServiceEntry[]> {
    const { rows } = await this.db.query<{ data: ServiceEntry | string }>(
      "SELECT data FROM vigil.ctx_services WHERE tenant = $1 ORDER BY name",
      [tenant],
    );
    return rows.map((r) => json(r.data));
  }

  async setTopology(tenant: string, topology: Topology): Promise<void> {
    await this.db.query(
      `INSERT INTO vigil.ctx_topology (tenant, topology) VALUES ($1, $2)
       ON CONFLICT (tenant) DO UPDATE SET topology = EXCLUDED.topology, updated_at = now()`,
      [tenant, JSON.stringify(topology)],
    );
  }

  async topology(tenant: string): Promise<Topology | undefined> {
    const { rows } = await this.db.query<{ topology: Topology | string }>(
      "SELECT topology FROM vigil.ctx_topology WHERE tenant = $1",
      [tenant],
    );
    return rows[0] ? json(rows[0].topology) : undefined;
  }

  async upsertSignalOverride(tenant: string, override: SignalOverride): Promise<void> {
    const parsed = signalOverrideSchema.parse(override);
    await this.db.query(
      `INSERT INTO vigil.ctx_signal_overrides (tenant, signal, data) VALUES ($1, $2, $3)
       ON CONFLICT (tenant, signal) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`,
      [tenant, parsed.signal, JSON.stringify(parsed)],
    );
  }

  async signalOverrides(tenant: string): Promise<SignalOverride[]> {
    const { rows } = await this.db.query<{ data: SignalOverride | string }>(
      "SELECT data FROM vigil.ctx_signal_overrides WHERE tenant = $1 ORDER BY signal",
      [tenant],
    );
    return rows.map((r) => json(r.data));
  }

  /** Store a runbook from its Markdown (front matter parsed here). */
  async upsertRunbook(tenant: string, markdown: string, fallbackId?: string): Promise<Runbook> {
    const runbook = parseRunbook(markdown, fallbackId);
    await this.db.query(
      `INSERT INTO vigil.ctx_runbooks (tenant, id, title, services, alerts, front_matter, body)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant, id) DO UPDATE SET title = EXCLUDED.title, services = EXCLUDED.services,
         alerts = EXCLUDED.alerts, front_matter = EXCLUDED.front_matter, body = EXCLUDED.body, updated_at = now()`,
      [
        tenant,
        runbook.id,
        runbook.title,
        JSON.stringify(runbook.services),
        JSON.stringify(runbook.alerts),
        JSON.stringify(runbook.frontMatter),
        runbook.body,
      ],
    );
    return runbook;
  }

  /** Runbooks of a tenant; with `service` or `alertname`, only those that name it. */
  async runbooks(tenant: string, filter: { service?: string; alertname?: string } = {}): Promise<Runbook[]> {
    const { rows } = await this.db.query<{
      id: string;
      title: string;
      services: string[] | string;
      alerts: string[] | string;
      front_matter: Record<string, string | string[]> | string;
      body: string;
    }>("SELECT * FROM vigil.ctx_runbooks WHERE tenant = $1 ORDER BY id", [tenant]);
    const runbooks = rows.map((r) => ({
      id: r.id,
      title: r.title,
      services: json(r.services),
      alerts: json(r.alerts),
      frontMatter: json(r.front_matter),
      body: r.body,
    }));
    return runbooks.filter((r) => {
      if (filter.service && !r.services.includes(filter.service)) return false;
      if (filter.alertname && r.alerts.length > 0 && !r.alerts.includes(filter.alertname)) return false;
      return true;
    });
  }

  async addIncident(tenant: string, incident: PastIncident): Promise<void> {
    const parsed = pastIncidentSchema.parse(incident);
    await this.db.query(
      `INSERT INTO vigil.ctx_incidents (tenant, id, occurred_at, service, data) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant, id) DO UPDATE SET occurred_at = EXCLUDED.occurred_at, service = EXCLUDED.service,
         data = EXCLUDED.data`,
      [tenant, parsed.id, new Date(parsed.occurredAt).toISOString(), parsed.service ?? null, JSON.stringify(parsed)],
    );
  }

  async incidents(tenant: string, filter: { service?: string; limit?: number } = {}): Promise<PastIncident[]> {
    const params: unknown[] = [tenant];
    let sql = "SELECT data FROM vigil.ctx_incidents WHERE tenant = $1";
    if (filter.service) {
      params.push(filter.service);
      sql += ` AND service = $${params.length}`;
    }
    params.push(filter.limit ?? 50);
    sql += ` ORDER BY occurred_at DESC LIMIT $${params.length}`;
    const { rows } = await this.db.query<{ data: PastIncident | string }>(sql, params);
    return rows.map((r) => json(r.data));
  }

  async savePseudonyms(tenant: string, entries: PseudonymEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const e of entries) {
        await tx.query(
          `INSERT INTO vigil.ctx_pseudonyms (tenant, pseudonym, kind, original) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant, pseudonym) DO NOTHING`,
          [tenant, e.pseudonym, e.kind, e.original],
        );
      }
    });
  }

  async pseudonyms(tenant: string): Promise<PseudonymEntry[]> {
    const { rows } = await this.db.query<PseudonymEntry>(
      "SELECT pseudonym, kind, original FROM vigil.ctx_pseudonyms WHERE tenant = $1",
      [tenant],
    );
    // Rows written by an older version may hold a kind this one does not know: skip them rather than fail.
    return rows.flatMap((r) => {
      const parsed = pseudonymEntrySchema.safeParse(r);
      return parsed.success ? [parsed.data] : [];
    });
  }

  /**
   * Every name from this tenant's context that must never leave in a pattern: services and their aliases, teams,
   * namespaces, hosts, topology nodes, runbook services and incident services.
   */
  async knownTerms(tenant: string): Promise<string[]> {
    const terms = new Set<string>();
    const add = (s: string | undefined) => {
      if (s?.trim()) terms.add(s.trim());
    };
    for (const s of await this.services(tenant)) {
      add(s.name);
      add(s.team);
      add(s.namespace);
      for (const a of s.aliases ?? []) add(a);
      for (const h of s.hosts ?? []) add(h);
      for (const d of s.dependsOn ?? []) add(d);
    }
    const topology = await this.topology(tenant);
    for (const node of topology?.nodes ?? []) add(node.id);
    for (const r of await this.runbooks(tenant)) for (const s of r.services) add(s);
    for (const i of await this.incidents(tenant, { limit: 1000 })) add(i.service);
    return [...terms];
  }

  /**
   * An anonymizer for this tenant: its known terms, the pseudonyms issued before (so `reveal` works across
   * restarts), and new pseudonyms persisted as they are issued.
   */
  async anonymizerFor(tenant: string, key: string, extraTerms: string[] = []): Promise<Anonymizer> {
    const pending: PseudonymEntry[] = [];
    const anonymizer = new Anonymizer({
      key,
      knownTerms: [...(await this.knownTerms(tenant)), ...extraTerms],
      entries: await this.pseudonyms(tenant),
      onRegister: (entry) => pending.push(entry),
    });
    // Persist lazily: callers flush after a batch (`flushPseudonyms`), so anonymizing stays synchronous.
    pendingByAnonymizer.set(anonymizer, { tenant, pending });
    return anonymizer;
  }

  /** Persist the pseudonyms an anonymizer from `anonymizerFor` issued since the last flush. */
  async flushPseudonyms(anonymizer: Anonymizer): Promise<number> {
    const state = pendingByAnonymizer.get(anonymizer);
    if (!state || state.pending.length === 0) return 0;
    const batch = state.pending.splice(0);
    await this.savePseudonyms(state.tenant, batch);
    return batch.length;
  }

  /** Remove everything of a tenant (right to be forgotten). Learned patterns are not touched: they hold no tenant data. */
  async deleteTenant(tenant: string): Promise<Record<string, number>> {
    return this.db.transaction(async (tx) => {
      const counts: Record<string, number> = {};
      for (const table of TENANT_TABLES) {
        const { rows } = await tx.query<{ n: number | string }>(
          `WITH d AS (DELETE FROM vigil.${table} WHERE tenant = $1 RETURNING 1) SELECT count(*) AS n FROM d`,
          [tenant],
        );
        counts[table] = Number(rows[0]?.n ?? 0);
      }
      return counts;
    });
  }
}

const pendingByAnonymizer = new WeakMap<Anonymizer, { tenant: string; pending: PseudonymEntry[] }>();
