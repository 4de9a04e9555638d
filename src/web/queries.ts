/**
 * Read-only queries of the web UI and API. The InvestigationStore owns writes; the UI needs filtered, paginated
 * listings that only select the columns a table shows (results carry whole traces and would be heavy to load 50
 * at a time).
 */
import { z } from "zod";
import type { Db } from "../store/db.ts";
import type { InvestigationStatus } from "../store/investigations.ts";

export const INVESTIGATION_STATUSES = ["queued", "running", "done", "failed"] as const;
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 25;

function blankToUndefined(value: unknown): unknown {
  if (typeof value !== "string") return value;
  return value.trim() === "" ? undefined : value.trim();
}

/** Query parameters of the list (API and page). Blank values mean "no filter", as an empty form field sends them. */
export const listQuerySchema = z.object({
  status: z.preprocess(blankToUndefined, z.enum(INVESTIGATION_STATUSES).optional()),
  service: z.preprocess(blankToUndefined, z.string().max(200).optional()),
  alertname: z.preprocess(blankToUndefined, z.string().max(200).optional()),
  page: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(100_000).default(1)),
  pageSize: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  ),
});

export type ListQuery = z.infer<typeof listQuerySchema>;

export interface InvestigationListItem {
  id: string;
  alertname: string;
  service: string | null;
  status: InvestigationStatus;
  labels: Record<string, string>;
  likelyCause: string | null;
  confidence: number | null;
  abstained: boolean | null;
  /** The latest authorized verdict on the whole investigation ("correct", "partial", "wrong"), or null. */
  feedback: string | null;
  durationMs: number | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface InvestigationPage {
  items: InvestigationListItem[];
  total: number;
  page: number;
  pageSize: number;
  pages: number;
}

interface ListRow {
  id: string;
  alertname: string;
  service: string | null;
  status: InvestigationStatus;
  labels: Record<string, string> | string | null;
  likely_cause: string | null;
  top_candidate: string | null;
  confidence: number | string | null;
  abstained: boolean | string | null;
  feedback: unknown;
  duration_ms: number | string | null;
  error: string | null;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function num(value: number | string | null): number | null {
  if (value === null) return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function bool(value: boolean | string | null): boolean | null {
  if (value === null) return null;
  return value === true || value === "true";
}

function feedbackText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "object" && value && "verdict" in value) return String((value as { verdict: unknown }).verdict);
  return JSON.stringify(value);
}

function labelsOf(value: ListRow["labels"]): Record<string, string> {
  if (!value) return {};
  return typeof value === "string" ? (JSON.parse(value) as Record<string, string>) : value;
}

function whereClause(query: Pick<ListQuery, "status" | "service" | "alertname">): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (query.status) {
    params.push(query.status);
    conditions.push(`i.status = $${params.length}`);
  }
  if (query.service) {
    params.push(query.service);
    conditions.push(`i.service = $${params.length}`);
  }
  if (query.alertname) {
    params.push(query.alertname);
    conditions.push(`i.alertname = $${params.length}`);
  }
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "", params };
}

/** One page of investigations, newest first, with the filters applied. */
export async function listInvestigations(db: Db, query: ListQuery): Promise<InvestigationPage> {
  const where = whereClause(query);
  const countRows = await db.query<{ total: number | string }>(
    `SELECT count(*) AS total FROM vigil.investigations i ${where.sql}`,
    where.params,
  );
  const total = Number(countRows.rows[0]?.total ?? 0);
  const offset = (query.page - 1) * query.pageSize;
  const params = [...where.params, query.pageSize, offset];
  // Feedback: the latest authorized verdict on the whole investigation (vigil.feedback, 004-feedback.sql); a
  // `feedback` field on the row itself, should one be added, takes precedence.
  const { rows } = await db.query<ListRow>(
    `SELECT i.id, i.alertname, i.service, i.status, i.error, i.created_at, i.started_at, i.finished_at,
            i.alert->'labels' AS labels,
            i.result->'summary'->>'likelyCause' AS likely_cause,
            (i.result->'candidates'->0->>'mechanism') || ' in ' || (i.result->'candidates'->0->>'service') AS top_candidate,
            i.result->>'confidence' AS confidence,
            i.result->>'abstained' AS abstained,
            i.result->>'durationMs' AS duration_ms,
            coalesce(to_jsonb(i)->'feedback', to_jsonb((
              SELECT f.verdict FROM vigil.feedback f
               WHERE f.investigation_id = i.id AND f.target_strategy = '' AND f.target_service = '' AND f.authorized
               ORDER BY f.updated_at DESC LIMIT 1))) AS feedback
       FROM vigil.investigations i
       ${where.sql}
      ORDER BY i.created_at DESC, i.id
      LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return {
    items: rows.map((row) => ({
      id: row.id,
      alertname: row.alertname,
      service: row.service,
      status: row.status,
      labels: labelsOf(row.labels),
      likelyCause: row.likely_cause ?? row.top_candidate,
      confidence: num(row.confidence),
      abstained: bool(row.abstained),
      feedback: feedbackText(row.feedback),
      durationMs: num(row.duration_ms),
      error: row.error,
      createdAt: iso(row.created_at) as string,
      startedAt: iso(row.started_at),
      finishedAt: iso(row.finished_at),
    })),
    total,
    page: query.page,
    pageSize: query.pageSize,
    pages: Math.max(1, Math.ceil(total / query.pageSize)),
  };
}

/** The services and alert names seen so far, for the filter form's drop-downs. */
export async function filterValues(db: Db): Promise<{ services: string[]; alertnames: string[] }> {
  const services = await db.query<{ v: string }>(
    "SELECT DISTINCT service AS v FROM vigil.investigations WHERE service IS NOT NULL ORDER BY v LIMIT 500",
  );
  const alertnames = await db.query<{ v: string }>(
    "SELECT DISTINCT alertname AS v FROM vigil.investigations ORDER BY v LIMIT 500",
  );
  return { services: services.rows.map((r) => r.v), alertnames: alertnames.rows.map((r) => r.v) };
}

export interface InvestigationStatusView {
  id: string;
  status: InvestigationStatus;
  error: string | null;
  abstained: boolean | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Just the status columns: the live progress stream polls this often and must not load whole results. */
export async function investigationStatus(db: Db, id: string): Promise<InvestigationStatusView | undefined> {
  const { rows } = await db.query<{
    id: string;
    status: InvestigationStatus;
    error: string | null;
    abstained: boolean | string | null;
    started_at: Date | string | null;
    finished_at: Date | string | null;
  }>(
    `SELECT id, status, error, result->>'abstained' AS abstained, started_at, finished_at
       FROM vigil.investigations WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    status: row.status,
    error: row.error,
    abstained: bool(row.abstained),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}
