/**
 * The learned-patterns store: generalized, anonymized patterns and their reviews. It has no tenant column and no
 * pseudonym map by construction; it may live in its own database (pass its own Db). Every write is verified with
 * the anonymizer's detectors first, so nothing identifying gets in even if a caller skipped `proposePattern`.
 *
 * @example
 * const patterns = new LearnedPatternStore(db, { anonymizer });
 * const { pattern } = await patterns.propose(draft);
 * await patterns.approve(pattern.id, "U123");
 * const priors = await patterns.matching(alertSignatureOf(alert));
 */
import { createHash, randomUUID } from "node:crypto";
import type { Db } from "../src/store/db.ts";
import type { Anonymizer } from "./anonymizer.ts";
import {
  type AlertSignature,
  type LearnedPattern,
  type PatternContent,
  type PatternStatus,
  patternContentSchema,
} from "./pattern-schema.ts";
import { alertClassSimilarity, assertAnonymous } from "./propose-pattern.ts";

export class PatternNotFoundError extends Error {
  constructor(id: string) {
    super(`no pattern with id ${id}`);
    this.name = "PatternNotFoundError";
  }
}

export interface PatternEdit {
  description?: string;
  rootCause?: Partial<PatternContent["rootCause"]>;
  signature?: PatternContent["signature"];
}

export interface PatternReview {
  action: "propose" | "approve" | "reject" | "edit" | "import";
  reviewer?: string;
  reason?: string;
  at: Date;
}

interface Row {
  id: string;
  fingerprint: string;
  status: PatternStatus;
  pattern: PatternContent | string;
  occurrences: number;
  created_at: Date | string;
  updated_at: Date | string;
  reviewed_by: string | null;
  reviewed_at: Date | string | null;
}

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

function fromRow(row: Row): LearnedPattern {
  const content = patternContentSchema.parse(typeof row.pattern === "string" ? JSON.parse(row.pattern) : row.pattern);
  return {
    ...content,
    id: row.id,
    status: row.status,
    occurrences: row.occurrences,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    ...(row.reviewed_by ? { reviewedBy: row.reviewed_by } : {}),
    ...(row.reviewed_at ? { reviewedAt: toDate(row.reviewed_at) } : {}),
  };
}

/**
 * The same generalized pattern proposed twice is one pattern seen twice: the fingerprint covers what it says
 * (alert class, signature, cause), not its wording or where it came from.
 */
export function patternFingerprint(content: PatternContent): string {
  const canonical = JSON.stringify({
    alertClass: content.alertClass,
    signature: content.signature,
    faultClass: content.rootCause.faultClass,
    where: content.rootCause.where,
  });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 32);
}

export interface LearnedPatternStoreOptions {
  /** Verifies every write and pseudonymizes reviewers; patterns never hold a person's id. */
  anonymizer: Anonymizer;
}

/** Only this module writes `vigil.patterns` and `vigil.pattern_reviews`. */
export class LearnedPatternStore {
  readonly #anonymizer: Anonymizer;

  constructor(
    private readonly db: Db,
    options: LearnedPatternStoreOptions,
  ) {
    this.#anonymizer = options.anonymizer;
  }

  /** Store a proposed pattern, or count one more occurrence of the same one. */
  async propose(
    content: PatternContent,
    options: { action?: "propose" | "import"; status?: PatternStatus } = {},
  ): Promise<{ pattern: LearnedPattern; created: boolean }> {
    const parsed = patternContentSchema.parse(content);
    assertAnonymous(this.#anonymizer, parsed, "pattern refused by the store");
    const fingerprint = patternFingerprint(parsed);
    const id = `pat-${randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const status = options.status ?? "proposed";
    return this.db.transaction(async (tx) => {
      const inserted = await tx.query<Row>(
        `INSERT INTO vigil.patterns (id, fingerprint, status, alertname, root_cause_class, pattern)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (fingerprint) DO NOTHING
         RETURNING *`,
        [id, fingerprint, status, parsed.alertClass.alertname, parsed.rootCause.faultClass, JSON.stringify(parsed)],
      );
      const row = inserted.rows[0];
      if (row) {
        await tx.query("INSERT INTO vigil.pattern_reviews (pattern_id, action) VALUES ($1, $2)", [
          row.id,
          options.action ?? "propose",
        ]);
        return { pattern: fromRow(row), created: true };
      }
      const updated = await tx.query<Row>(
        `UPDATE vigil.patterns SET occurrences = occurrences + 1, updated_at = now()
         WHERE fingerprint = $1 RETURNING *`,
        [fingerprint],
      );
      return { pattern: fromRow(updated.rows[0] as Row), created: false };
    });
  }

  async get(id: string): Promise<LearnedPattern | undefined> {
    const { rows } = await this.db.query<Row>("SELECT * FROM vigil.patterns WHERE id = $1", [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async list(filter: { status?: PatternStatus } = {}): Promise<LearnedPattern[]> {
    const { rows } = filter.status
      ? await this.db.query<Row>("SELECT * FROM vigil.patterns WHERE status = $1 ORDER BY created_at, id", [
          filter.status,
        ])
      : await this.db.query<Row>("SELECT * FROM vigil.patterns ORDER BY created_at, id");
    return rows.map(fromRow);
  }

  async reviews(id: string): Promise<PatternReview[]> {
    const { rows } = await this.db.query<{
      action: PatternReview["action"];
      reviewer: string | null;
      reason: string | null;
      at: Date | string;
    }>("SELECT action, reviewer, reason, at FROM vigil.pattern_reviews WHERE pattern_id = $1 ORDER BY id", [id]);
    return rows.map((r) => ({
      action: r.action,
      ...(r.reviewer ? { reviewer: r.reviewer } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      at: toDate(r.at),
    }));
  }

  approve(id: string, reviewer: string): Promise<LearnedPattern> {
    return this.#review(id, "approved", "approve", reviewer);
  }

  reject(id: string, reviewer: string, reason?: string): Promise<LearnedPattern> {
    return this.#review(id, "rejected", "reject", reviewer, reason);
  }

  /** Change the wording or the cause of a pattern; the result is verified like a new proposal. */
  async edit(id: string, patch: PatternEdit, reviewer: string): Promise<LearnedPattern> {
    const current = await this.get(id);
    if (!current) throw new PatternNotFoundError(id);
    const next: PatternContent = patternContentSchema.parse({
      alertClass: current.alertClass,
      signature: patch.signature ?? current.signature,
      rootCause: { ...current.rootCause, ...patch.rootCause },
      foundBy: current.foundBy,
      // A reviewer may type a real name; it is anonymized like everything else before it is stored.
      description: patch.description !== undefined ? this.#anonymizer.text(patch.description) : current.description,
      ...(current.origin ? { origin: current.origin } : {}),
    });
    assertAnonymous(this.#anonymizer, next, "edit refused");
    const who = this.#anonymizer.pseudonym("term", reviewer);
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `UPDATE vigil.patterns
           SET pattern = $2, fingerprint = $3, root_cause_class = $4, updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, JSON.stringify(next), patternFingerprint(next), next.rootCause.faultClass],
      );
      await tx.query(
        "INSERT INTO vigil.pattern_reviews (pattern_id, action, reviewer, patch) VALUES ($1, $2, $3, $4)",
        [
          id,
          "edit",
          who,
          JSON.stringify(patch.description !== undefined ? { ...patch, description: next.description } : patch),
        ],
      );
      return fromRow(rows[0] as Row);
    });
  }

  /**
   * Approved patterns whose alert class fits the alert, best first. Proposed and rejected patterns are never
   * returned: nothing is used before a person approved it.
   */
  async matching(
    signature: AlertSignature,
    options: { minScore?: number } = {},
  ): Promise<Array<{ pattern: LearnedPattern; score: number }>> {
    const minScore = options.minScore ?? 0.5;
    const approved = await this.list({ status: "approved" });
    return approved
      .map((pattern) => ({ pattern, score: alertClassSimilarity(pattern.alertClass, signature, this.#anonymizer) }))
      .filter((m) => m.score >= minScore)
      .sort((a, b) => b.score - a.score);
  }

  async #review(
    id: string,
    status: PatternStatus,
    action: "approve" | "reject",
    reviewer: string,
    reason?: string,
  ): Promise<LearnedPattern> {
    const who = this.#anonymizer.pseudonym("term", reviewer);
    const why = reason ? this.#anonymizer.text(reason) : null;
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `UPDATE vigil.patterns SET status = $2, reviewed_by = $3, reviewed_at = now(), updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, status, who],
      );
      const row = rows[0];
      if (!row) throw new PatternNotFoundError(id);
      await tx.query(
        "INSERT INTO vigil.pattern_reviews (pattern_id, action, reviewer, reason) VALUES ($1, $2, $3, $4)",
        [id, action, who, why],
      );
      return fromRow(row);
    });
  }
}
