import { randomUUID } from "node:crypto";
import type { Alert, InvestigationResult } from "../../agents/types.ts";
import type { Db } from "./db.ts";

export type InvestigationStatus = "queued" | "running" | "done" | "failed";
export type AlertSource = "alertmanager" | "slack" | "cli";

export interface InvestigationRecord {
  id: string;
  dedupeKey: string;
  fingerprint: string;
  alertname: string;
  service: string | null;
  source: AlertSource;
  status: InvestigationStatus;
  alert: Alert;
  result: InvestigationResult | null;
  error: string | null;
  attempts: number;
  slackChannel: string | null;
  slackThreadTs: string | null;
  slackMessageTs: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface Row {
  id: string;
  dedupe_key: string;
  fingerprint: string;
  alertname: string;
  service: string | null;
  source: AlertSource;
  status: InvestigationStatus;
  alert: Alert | string;
  result: InvestigationResult | string | null;
  error: string | null;
  attempts: number;
  slack_channel: string | null;
  slack_thread_ts: string | null;
  slack_message_ts: string | null;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

function json<T>(value: T | string | null): T | null {
  if (value === null) return null;
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}

function date(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}

function fromRow(row: Row): InvestigationRecord {
  return {
    id: row.id,
    dedupeKey: row.dedupe_key,
    fingerprint: row.fingerprint,
    alertname: row.alertname,
    service: row.service,
    source: row.source,
    status: row.status,
    alert: json<Alert>(row.alert) as Alert,
    result: json<InvestigationResult>(row.result),
    error: row.error,
    attempts: row.attempts,
    slackChannel: row.slack_channel,
    slackThreadTs: row.slack_thread_ts,
    slackMessageTs: row.slack_message_ts,
    createdAt: date(row.created_at) as Date,
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
  };
}

/** The key that makes a re-sent alert find its existing investigation: one per firing (fingerprint + start). */
export function alertDedupeKey(alert: Alert): string {
  return `alert:${alert.fingerprint}:${alert.startsAt}`;
}

export interface CreateInvestigationInput {
  alert: Alert;
  source: AlertSource;
  dedupeKey?: string;
  /** Related alerts share a group key (the service, or Alertmanager's group). */
  groupKey?: string;
  groupWindowMs?: number;
  /** Normalized alert class (alertname + label keys): one investigation per class per cooldown. */
  alertClass?: string;
  cooldownMs?: number;
  slackChannel?: string;
  slackThreadTs?: string;
}

/** Only this module writes investigations; callers never build SQL. */
export class InvestigationStore {
  constructor(private readonly db: Db) {}

  /**
   * Persist the alert, then, in one transaction: find its investigation if this exact firing was seen before
   * (duplicate); else attach it to a recent investigation of the same group (same service or Alertmanager group,
   * within the group window) or of the same alert class (within the cooldown); else create a new investigation.
   * An advisory lock per group serializes replicas that receive related alerts at the same moment.
   */
  async createOrFind(input: CreateInvestigationInput): Promise<{
    record: InvestigationRecord;
    created: boolean;
    outcome: "created" | "duplicate" | "grouped" | "cooldown";
  }> {
    const dedupeKey = input.dedupeKey ?? alertDedupeKey(input.alert);
    const id = randomUUID();
    const alertJson = JSON.stringify(input.alert);
    return this.db.transaction(async (tx) => {
      await tx.query("INSERT INTO vigil.alerts (fingerprint, source, alert) VALUES ($1, $2, $3)", [
        input.alert.fingerprint,
        input.source,
        alertJson,
      ]);
      const duplicate = await tx.query<Row>(
        `SELECT i.* FROM vigil.investigations i WHERE i.dedupe_key = $1
         UNION ALL
         SELECT i.* FROM vigil.investigations i JOIN vigil.investigation_alerts a ON a.investigation_id = i.id
          WHERE a.dedupe_key = $1
         LIMIT 1`,
        [dedupeKey],
      );
      if (duplicate.rows[0])
        return { record: fromRow(duplicate.rows[0]), created: false, outcome: "duplicate" as const };

      const attach = async (row: Row, reason: "grouped" | "cooldown") => {
        await tx.query(
          `INSERT INTO vigil.investigation_alerts (investigation_id, dedupe_key, alert, reason) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [row.id, dedupeKey, alertJson, reason],
        );
        return { record: fromRow(row), created: false, outcome: reason };
      };
      if (input.groupKey && (input.groupWindowMs ?? 0) > 0) {
        await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`vigil-group:${input.groupKey}`]);
        const group = await tx.query<Row>(
          `SELECT * FROM vigil.investigations
            WHERE group_key = $1 AND created_at > now() - ($2::double precision * interval '1 millisecond')
            ORDER BY created_at DESC LIMIT 1`,
          [input.groupKey, input.groupWindowMs],
        );
        if (group.rows[0]) return attach(group.rows[0], "grouped");
      }
      if (input.alertClass && (input.cooldownMs ?? 0) > 0) {
        await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`vigil-class:${input.alertClass}`]);
        const recent = await tx.query<Row>(
          `SELECT * FROM vigil.investigations
            WHERE alert_class = $1 AND created_at > now() - ($2::double precision * interval '1 millisecond')
            ORDER BY created_at DESC LIMIT 1`,
          [input.alertClass, input.cooldownMs],
        );
        if (recent.rows[0]) return attach(recent.rows[0], "cooldown");
      }

      const inserted = await tx.query<Row>(
        `INSERT INTO vigil.investigations
           (id, dedupe_key, fingerprint, alertname, service, source, alert, slack_channel, slack_thread_ts, group_key,
            alert_class)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING *`,
        [
          id,
          dedupeKey,
          input.alert.fingerprint,
          input.alert.alertname,
          input.alert.service ?? null,
          input.source,
          alertJson,
          input.slackChannel ?? null,
          input.slackThreadTs ?? null,
          input.groupKey ?? null,
          input.alertClass ?? null,
        ],
      );
      if (!inserted.rows[0]) {
        const existing = await tx.query<Row>("SELECT * FROM vigil.investigations WHERE dedupe_key = $1", [dedupeKey]);
        return { record: fromRow(existing.rows[0]), created: false, outcome: "duplicate" as const };
      }
      await tx.query(
        "INSERT INTO vigil.investigation_alerts (investigation_id, dedupe_key, alert, reason) VALUES ($1, $2, $3, $4)",
        [id, dedupeKey, alertJson, "first"],
      );
      return { record: fromRow(inserted.rows[0]), created: true, outcome: "created" as const };
    });
  }

  /** The alerts attached to an investigation, the first one included. */
  async attachedAlerts(id: string): Promise<Array<{ alert: Alert; reason: string }>> {
    const { rows } = await this.db.query<{ alert: Alert | string; reason: string }>(
      "SELECT alert, reason FROM vigil.investigation_alerts WHERE investigation_id = $1 ORDER BY attached_at",
      [id],
    );
    return rows.map((r) => ({ alert: json<Alert>(r.alert) as Alert, reason: r.reason }));
  }

  async get(id: string): Promise<InvestigationRecord | undefined> {
    const { rows } = await this.db.query<Row>("SELECT * FROM vigil.investigations WHERE id = $1", [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async list(options: { limit?: number; status?: InvestigationStatus } = {}): Promise<InvestigationRecord[]> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
    const { rows } = options.status
      ? await this.db.query<Row>(
          "SELECT * FROM vigil.investigations WHERE status = $1 ORDER BY created_at DESC LIMIT $2",
          [options.status, limit],
        )
      : await this.db.query<Row>("SELECT * FROM vigil.investigations ORDER BY created_at DESC LIMIT $1", [limit]);
    return rows.map(fromRow);
  }

  /**
   * Investigations to re-send: still queued after `olderThanMs` (their job may have been lost before it was sent),
   * or running with a heartbeat older than `heartbeatStaleMs` (their worker died).
   */
  async stale(
    olderThanMs: number,
    heartbeatStaleMs = Number.POSITIVE_INFINITY,
    deadBefore?: Date,
  ): Promise<InvestigationRecord[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM vigil.investigations
        WHERE (status = 'queued' AND created_at < now() - ($1::double precision * interval '1 millisecond'))
           OR (status = 'running'
               AND (($2::double precision < 1e15
                     AND coalesce(heartbeat_at, started_at, created_at)
                           < now() - ($2::double precision * interval '1 millisecond'))
                    OR coalesce(heartbeat_at, started_at, created_at) < $3::timestamptz))
        ORDER BY created_at LIMIT 500`,
      [olderThanMs, Number.isFinite(heartbeatStaleMs) ? heartbeatStaleMs : 1e16, deadBefore?.toISOString() ?? null],
    );
    return rows.map(fromRow);
  }

  async findBySlackThread(channel: string, threadTs: string): Promise<InvestigationRecord | undefined> {
    const { rows } = await this.db.query<Row>(
      "SELECT * FROM vigil.investigations WHERE slack_channel = $1 AND slack_thread_ts = $2 ORDER BY created_at LIMIT 1",
      [channel, threadTs],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** Seconds since the oldest still-queued investigation was created (0 when none). */
  async oldestQueuedAgeSeconds(): Promise<number> {
    const { rows } = await this.db.query<{ age: number | null }>(
      "SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM vigil.investigations WHERE status = 'queued'",
    );
    return Number(rows[0]?.age ?? 0);
  }

  /**
   * Claim an investigation for this worker: it must be queued, or running with a heartbeat older than `staleMs`
   * (its worker died). Exactly one concurrent claimer wins; the others get false and leave it alone.
   */
  async claim(
    id: string,
    staleMs: number,
    deadBefore?: Date,
    maxRunning = 0,
  ): Promise<"claimed" | "busy" | "at-limit"> {
    return this.db.transaction(async (tx) => {
      if (maxRunning > 0) {
        // One claimer at a time counts the running investigations, so replicas cannot both take the last slot.
        await tx.query("SELECT pg_advisory_xact_lock(7160445002)");
        const { rows } = await tx.query<{ n: number | string }>(
          `SELECT count(*) AS n FROM vigil.investigations
            WHERE status = 'running' AND id <> $1
              AND coalesce(heartbeat_at, started_at, created_at) >= now() - ($2::double precision * interval '1 millisecond')
              AND ($3::timestamptz IS NULL OR coalesce(heartbeat_at, started_at, created_at) >= $3::timestamptz)`,
          [id, staleMs, deadBefore?.toISOString() ?? null],
        );
        if (Number(rows[0]?.n ?? 0) >= maxRunning) return "at-limit" as const;
      }
      const { rows } = await tx.query(
        `UPDATE vigil.investigations
            SET status = 'running', started_at = coalesce(started_at, now()), heartbeat_at = now(),
                attempts = attempts + 1
          WHERE id = $1
            AND (status = 'queued'
                 OR (status = 'running'
                     AND (coalesce(heartbeat_at, started_at, created_at)
                            < now() - ($2::double precision * interval '1 millisecond')
                          OR coalesce(heartbeat_at, started_at, created_at) < $3::timestamptz)))
          RETURNING id`,
        [id, staleMs, deadBefore?.toISOString() ?? null],
      );
      return rows.length > 0 ? ("claimed" as const) : ("busy" as const);
    });
  }

  /** Put a failed attempt back in the queue's hands (its retry claims it again). */
  async requeue(id: string): Promise<void> {
    await this.db.query("UPDATE vigil.investigations SET status = 'queued' WHERE id = $1 AND status = 'running'", [id]);
  }

  async heartbeat(id: string): Promise<void> {
    await this.db.query("UPDATE vigil.investigations SET heartbeat_at = now() WHERE id = $1 AND status = 'running'", [
      id,
    ]);
  }

  async markRunning(id: string): Promise<void> {
    await this.db.query(
      "UPDATE vigil.investigations SET status = 'running', started_at = now(), attempts = attempts + 1 WHERE id = $1",
      [id],
    );
  }

  async setSlackThread(id: string, thread: { channel: string; threadTs: string }): Promise<void> {
    await this.db.query("UPDATE vigil.investigations SET slack_channel = $2, slack_thread_ts = $3 WHERE id = $1", [
      id,
      thread.channel,
      thread.threadTs,
    ]);
  }

  async setSlackMessage(id: string, messageTs: string): Promise<void> {
    await this.db.query("UPDATE vigil.investigations SET slack_message_ts = $2 WHERE id = $1", [id, messageTs]);
  }

  async complete(id: string, result: InvestigationResult): Promise<void> {
    await this.db.query(
      "UPDATE vigil.investigations SET status = 'done', result = $2, error = NULL, finished_at = now() WHERE id = $1",
      [id, JSON.stringify(result)],
    );
  }

  async saveRecording(id: string, recording: unknown): Promise<void> {
    await this.db.query(
      `INSERT INTO vigil.investigation_recordings (investigation_id, recording) VALUES ($1, $2)
       ON CONFLICT (investigation_id) DO UPDATE SET recording = EXCLUDED.recording, created_at = now()`,
      [id, JSON.stringify(recording)],
    );
  }

  async getRecording(id: string): Promise<unknown | undefined> {
    const { rows } = await this.db.query<{ recording: unknown }>(
      "SELECT recording FROM vigil.investigation_recordings WHERE investigation_id = $1",
      [id],
    );
    const value = rows[0]?.recording;
    return typeof value === "string" ? JSON.parse(value) : value;
  }

  async fail(id: string, error: string): Promise<void> {
    await this.db.query(
      "UPDATE vigil.investigations SET status = 'failed', error = $2, finished_at = now() WHERE id = $1",
      [id, error.slice(0, 2000)],
    );
  }

  /** Record a Slack event id; false when it was seen before (a retry or a replay). */
  async claimSlackEvent(eventId: string): Promise<boolean> {
    const { rows } = await this.db.query(
      "INSERT INTO vigil.slack_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING event_id",
      [eventId],
    );
    return rows.length > 0;
  }
}
