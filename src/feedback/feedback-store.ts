/**
 * Feedback on investigations, whatever it came from (Slack buttons, 👍/👎, the reason modal, the web UI).
 * One row per person and target: changing your mind replaces your verdict. Feedback from people outside the
 * allowlist is kept with `authorized = false` and never counts in `verdictOf`.
 *
 * @example
 * await recordFeedback(db, { investigationId, userId: "U0ALICE", source: "button", verdict: "wrong", authorized: true });
 * await recordFeedback(db, { investigationId, userId: "U0ALICE", source: "modal", verdict: "wrong", authorized: true,
 *   realCause: { service: "postgres", description: "disk full on the primary" } });
 * const verdict = await verdictOf(db, investigationId); // { verdict: "wrong", realCause: { service: "postgres", … } }
 */
import { z } from "zod";
import type { Db } from "../store/db.ts";

export const FEEDBACK_SOURCES = ["button", "reaction", "modal", "web"] as const;
export const FEEDBACK_VERDICTS = ["correct", "partial", "wrong"] as const;
export type FeedbackSource = (typeof FEEDBACK_SOURCES)[number];
export type Verdict = (typeof FEEDBACK_VERDICTS)[number];

const MAX_TEXT = 2000;
const MAX_NAME = 200;

/** What someone said the real cause was. */
export const realCauseSchema = z.object({
  service: z.string().trim().min(1).max(MAX_NAME),
  description: z.string().trim().max(MAX_TEXT).default(""),
});
export type RealCause = z.infer<typeof realCauseSchema>;

/** Feedback on one strategy's hypothesis rather than the whole investigation (web UI). */
export const feedbackTargetSchema = z.object({
  strategy: z.string().trim().min(1).max(MAX_NAME),
  service: z.string().trim().max(MAX_NAME).default(""),
});
export type FeedbackTarget = z.infer<typeof feedbackTargetSchema>;

export const feedbackInputSchema = z.object({
  investigationId: z.string().min(1).max(MAX_NAME),
  userId: z.string().min(1).max(MAX_NAME),
  source: z.enum(FEEDBACK_SOURCES),
  verdict: z.enum(FEEDBACK_VERDICTS),
  reason: z.string().trim().max(MAX_TEXT).optional(),
  realCause: realCauseSchema.optional(),
  target: feedbackTargetSchema.optional(),
  authorized: z.boolean(),
});
export type FeedbackInput = z.input<typeof feedbackInputSchema>;

export interface FeedbackRecord {
  id: number;
  investigationId: string;
  userId: string;
  source: FeedbackSource;
  verdict: Verdict;
  reason?: string;
  realCause?: RealCause;
  target?: FeedbackTarget;
  authorized: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const rowSchema = z.object({
  id: z.coerce.number(),
  investigation_id: z.string(),
  user_id: z.string(),
  source: z.enum(FEEDBACK_SOURCES),
  verdict: z.enum(FEEDBACK_VERDICTS),
  reason: z.string().nullable(),
  real_cause_service: z.string().nullable(),
  real_cause_description: z.string().nullable(),
  target_strategy: z.string(),
  target_service: z.string(),
  authorized: z.boolean(),
  created_at: z.union([z.date(), z.string()]).transform((v) => new Date(v)),
  updated_at: z.union([z.date(), z.string()]).transform((v) => new Date(v)),
});

function fromRow(raw: unknown): FeedbackRecord {
  const row = rowSchema.parse(raw);
  return {
    id: row.id,
    investigationId: row.investigation_id,
    userId: row.user_id,
    source: row.source,
    verdict: row.verdict,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.real_cause_service
      ? { realCause: { service: row.real_cause_service, description: row.real_cause_description ?? "" } }
      : {}),
    ...(row.target_strategy ? { target: { strategy: row.target_strategy, service: row.target_service } } : {}),
    authorized: row.authorized,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class UnknownInvestigationError extends Error {
  constructor(readonly investigationId: string) {
    super(`no investigation ${investigationId}`);
    this.name = "UnknownInvestigationError";
  }
}

/**
 * Upserts one person's feedback. When the verdict changes, the earlier reason and real cause go with it (they
 * explained the old verdict); when the same verdict arrives again without details (a 👎 after the modal), the
 * details stay.
 */
export async function recordFeedback(db: Pick<Db, "query">, input: FeedbackInput): Promise<FeedbackRecord> {
  const f = feedbackInputSchema.parse(input);
  try {
    const { rows } = await db.query(
      `INSERT INTO vigil.feedback AS fb
         (investigation_id, user_id, source, verdict, reason, real_cause_service, real_cause_description,
          target_strategy, target_service, authorized)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (investigation_id, user_id, target_strategy, target_service) DO UPDATE SET
         source = EXCLUDED.source,
         verdict = EXCLUDED.verdict,
         reason = CASE WHEN fb.verdict = EXCLUDED.verdict THEN COALESCE(EXCLUDED.reason, fb.reason)
                       ELSE EXCLUDED.reason END,
         real_cause_service = CASE WHEN fb.verdict = EXCLUDED.verdict
                                   THEN COALESCE(EXCLUDED.real_cause_service, fb.real_cause_service)
                                   ELSE EXCLUDED.real_cause_service END,
         real_cause_description = CASE WHEN fb.verdict = EXCLUDED.verdict
                                       THEN COALESCE(EXCLUDED.real_cause_description, fb.real_cause_description)
                                       ELSE EXCLUDED.real_cause_description END,
         authorized = EXCLUDED.authorized,
         updated_at = now()
       RETURNING *`,
      [
        f.investigationId,
        f.userId,
        f.source,
        f.verdict,
        f.reason || null,
        f.realCause?.service ?? null,
        f.realCause ? f.realCause.description : null,
        f.target?.strategy ?? "",
        f.target?.service ?? "",
        f.authorized,
      ],
    );
    return fromRow(rows[0]);
  } catch (error) {
    // 23503: foreign key violation, i.e. a button on the message of an investigation that no longer exists.
    if ((error as { code?: string }).code === "23503") throw new UnknownInvestigationError(f.investigationId);
    throw error;
  }
}

export async function listFeedback(db: Pick<Db, "query">, investigationId: string): Promise<FeedbackRecord[]> {
  const { rows } = await db.query("SELECT * FROM vigil.feedback WHERE investigation_id = $1 ORDER BY created_at, id", [
    investigationId,
  ]);
  return rows.map(fromRow);
}

export interface VerdictSummary {
  /** The consensus of authorized people on the whole investigation; undefined when nobody authorized answered. */
  verdict?: Verdict;
  counts: Record<Verdict, number>;
  /** The most recently stated real cause among authorized people. */
  realCause?: RealCause;
  /** Authorized per-hypothesis verdicts (web UI). */
  hypotheses: Array<{ target: FeedbackTarget; verdict: Verdict; userId: string }>;
  /** Feedback kept but not learned from. */
  unauthorized: number;
}

/** Ties resolve to the more doubtful verdict: a disputed investigation must not teach a strategy it succeeded. */
const DOUBT: Record<Verdict, number> = { correct: 0, partial: 1, wrong: 2 };

/** The aggregate of authorized feedback on an investigation. */
export async function verdictOf(db: Pick<Db, "query">, investigationId: string): Promise<VerdictSummary> {
  return summarizeFeedback(await listFeedback(db, investigationId));
}

export function summarizeFeedback(records: FeedbackRecord[]): VerdictSummary {
  const counts: Record<Verdict, number> = { correct: 0, partial: 0, wrong: 0 };
  const hypotheses: VerdictSummary["hypotheses"] = [];
  let realCause: { cause: RealCause; at: number } | undefined;
  let unauthorized = 0;
  for (const r of records) {
    if (!r.authorized) {
      unauthorized += 1;
      continue;
    }
    if (r.target) {
      hypotheses.push({ target: r.target, verdict: r.verdict, userId: r.userId });
      continue;
    }
    counts[r.verdict] += 1;
    if (r.realCause && (!realCause || r.updatedAt.getTime() >= realCause.at)) {
      realCause = { cause: r.realCause, at: r.updatedAt.getTime() };
    }
  }
  let verdict: Verdict | undefined;
  for (const v of FEEDBACK_VERDICTS) {
    if (counts[v] === 0) continue;
    if (!verdict || counts[v] > counts[verdict] || (counts[v] === counts[verdict] && DOUBT[v] > DOUBT[verdict])) {
      verdict = v;
    }
  }
  return {
    ...(verdict ? { verdict } : {}),
    counts,
    ...(realCause ? { realCause: realCause.cause } : {}),
    hypotheses,
    unauthorized,
  };
}

/** The investigation whose summary is the given Slack message (for 👍/👎 reactions). */
export async function findInvestigationByMessage(
  db: Pick<Db, "query">,
  channel: string,
  messageTs: string,
): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    "SELECT id FROM vigil.investigations WHERE slack_channel = $1 AND slack_message_ts = $2 ORDER BY created_at LIMIT 1",
    [channel, messageTs],
  );
  return rows[0]?.id;
}
