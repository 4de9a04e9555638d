/**
 * Test-only helpers: an in-memory store with every migration applied, and investigations inserted directly
 * (the feedback tests care about the result, not about intake).
 */
import type { Alert, InvestigationResult } from "../../agents/types.ts";
import { type Db, openDb } from "../store/db.ts";
import { migrate } from "../store/migrate.ts";

export async function memoryDb(): Promise<Db> {
  const db = await openDb({ dataDir: "memory://" });
  await migrate(db);
  return db;
}

export function alertOf(alertname: string, labels: Record<string, string> = {}): Alert {
  return {
    fingerprint: `fp-${alertname}`,
    alertname,
    status: "firing",
    labels: { alertname, ...labels },
    annotations: {},
    startsAt: Date.parse("2026-11-01T10:00:00Z"),
    service: labels.service,
  };
}

export interface StrategyRun {
  name: string;
  top?: string;
  durationMs?: number;
  toolCalls?: number;
}

/** A finished investigation whose final top candidate is `finalTop` and whose strategies blamed what they say. */
export function resultOf(alert: Alert, finalTop: string | undefined, runs: StrategyRun[]): InvestigationResult {
  return {
    alert,
    abstained: false,
    confidence: 0.7,
    candidates: finalTop
      ? [
          {
            service: finalTop,
            faultClass: "cpu",
            mechanism: "cpu saturation",
            score: 0.7,
            strategies: [],
            evidence: [],
          },
        ]
      : [],
    strategies: runs.map((r) => ({
      name: r.name,
      durationMs: r.durationMs ?? 1000,
      toolCalls: r.toolCalls ?? 3,
      ...(r.top ? { topCandidate: r.top } : {}),
      checked: [],
      errors: [],
    })),
    summary: {
      headline: "h",
      whatIsGoingOn: "",
      confidence: 0.7,
      whyNotHigher: [],
      evidence: [],
      ruledOut: [],
      nextSteps: [],
    },
    durationMs: 2000,
    toolCalls: [],
    llm: { used: false, promptTokens: 0, completionTokens: 0 },
    window: { from: 0, to: 1 },
  };
}

export interface InsertInvestigationOptions {
  id: string;
  alert: Alert;
  result?: InvestigationResult;
  createdAt?: Date;
  slackChannel?: string;
  slackMessageTs?: string;
}

export async function insertInvestigation(db: Db, options: InsertInvestigationOptions): Promise<void> {
  await db.query(
    `INSERT INTO vigil.investigations
       (id, dedupe_key, fingerprint, alertname, source, status, alert, result, slack_channel, slack_message_ts, created_at)
     VALUES ($1, $2, $3, $4, 'alertmanager', $5, $6, $7, $8, $9, $10)`,
    [
      options.id,
      `test:${options.id}`,
      options.alert.fingerprint,
      options.alert.alertname,
      options.result ? "done" : "running",
      JSON.stringify(options.alert),
      options.result ? JSON.stringify(options.result) : null,
      options.slackChannel ?? null,
      options.slackMessageTs ?? null,
      (options.createdAt ?? new Date()).toISOString(),
    ],
  );
}
