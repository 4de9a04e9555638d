import { Gauge, type Registry } from "prom-client";
import type { Db } from "../store/db.ts";
import { type CriterionResult, type Judgment, judgmentSchema } from "./judges.ts";

/** An engineer's verdict on an investigation, reduced to 👍/👎. */
export type FeedbackVerdict = "up" | "down";

/** Reads feedback owned by another module; the quality loop never writes or joins its tables directly. */
export type VerdictOf = (investigationId: string) => Promise<FeedbackVerdict | undefined> | FeedbackVerdict | undefined;

export interface JudgeStoreOptions {
  /** Feedback lookup by investigation id. */
  verdictOf?: VerdictOf;
  /**
   * Or a SQL view (schema-qualified name) with columns `investigation_id text, verdict text`; verdict values are
   * normalised by `normaliseVerdict`. Used instead of `verdictOf` when both are given (one query, not N).
   */
  verdictView?: string;
}

export interface SaveJudgmentInput {
  /** The alert class the pass ratios are grouped by (e.g. the normalized alert class, or the alertname). */
  alertClass: string;
  tenant?: string;
}

export interface PassRatio {
  criterion: string;
  /** "*" when not grouped by alert class. */
  alertClass: string;
  passed: number;
  failed: number;
  notJudged: number;
  /** passed / (passed + failed); null when nothing was judged. */
  ratio: number | null;
}

export interface Agreement {
  criterion: string;
  /** Investigations with both a yes/no judgment for the criterion and a 👍/👎 verdict. */
  n: number;
  /** Judge passed and 👍, or judge failed and 👎. */
  agree: number;
  /** agree / n; null when n is 0. */
  ratio: number | null;
  passedUp: number;
  passedDown: number;
  failedUp: number;
  failedDown: number;
}

/**
 * Map feedback words to 👍/👎. "Not quite" counts as 👎: the summary did not hold as given, which is what a failed
 * criterion claims.
 */
export function normaliseVerdict(value: unknown): FeedbackVerdict | undefined {
  if (typeof value !== "string") return undefined;
  const v = value.trim().toLowerCase();
  if (["up", "correct", "+1", "thumbsup", "👍", "yes", "right"].includes(v)) return "up";
  if (["down", "wrong", "partial", "not quite", "-1", "thumbsdown", "👎", "no"].includes(v)) return "down";
  return undefined;
}

const VIEW_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/i;

interface JudgmentRow {
  criterion: string;
  passed: boolean | null;
  reason: string;
  evidence: unknown;
}

function jsonValue(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}

/**
 * Judgments of finished investigations, their pass ratios per criterion and alert class, and how often each
 * criterion agrees with engineers' 👍/👎, so a judge that disagrees with people is visible rather than trusted.
 *
 * @example
 * const judges = new JudgeStore(db, { verdictOf: (id) => feedback.verdict(id) });
 * await judges.save(id, await judgeInvestigation(result, { llm }), { alertClass: "HighLatency" });
 * console.log(await judges.passRatios({ byAlertClass: true }), await judges.agreement("next-steps-concrete"));
 */
export class JudgeStore {
  readonly #db: Db;
  readonly #options: JudgeStoreOptions;

  constructor(db: Db, options: JudgeStoreOptions = {}) {
    if (options.verdictView && !VIEW_NAME.test(options.verdictView)) {
      throw new Error(`verdictView must be a plain SQL name, got ${JSON.stringify(options.verdictView)}`);
    }
    this.#db = db;
    this.#options = options;
  }

  /** Replace the judgment of an investigation (a re-judge after a judge change overwrites the old one). */
  async save(investigationId: string, judgment: Judgment, input: SaveJudgmentInput): Promise<void> {
    const parsed = judgmentSchema.parse(judgment);
    await this.#db.transaction(async (tx) => {
      await tx.query("DELETE FROM vigil.judgments WHERE investigation_id = $1", [investigationId]);
      for (const c of parsed.criteria) {
        await tx.query(
          `INSERT INTO vigil.judgments (investigation_id, criterion, passed, reason, evidence, alert_class, tenant, judged_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            investigationId,
            c.id,
            c.passed,
            c.reason,
            JSON.stringify(c.evidence ?? []),
            input.alertClass,
            input.tenant ?? null,
            parsed.judgedAt,
          ],
        );
      }
      await tx.query(
        `INSERT INTO vigil.judge_runs (investigation_id, alert_class, tenant, model, prompts, usage, judged_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (investigation_id) DO UPDATE SET alert_class = EXCLUDED.alert_class, tenant = EXCLUDED.tenant,
           model = EXCLUDED.model, prompts = EXCLUDED.prompts, usage = EXCLUDED.usage, judged_at = EXCLUDED.judged_at`,
        [
          investigationId,
          input.alertClass,
          input.tenant ?? null,
          parsed.judge.model ?? null,
          JSON.stringify(parsed.judge.prompts),
          parsed.judge.usage ? JSON.stringify(parsed.judge.usage) : null,
          parsed.judgedAt,
        ],
      );
    });
  }

  /** The stored judgment of an investigation, for its page in the web UI. */
  async get(investigationId: string): Promise<Judgment | undefined> {
    const run = await this.#db.query<{
      model: string | null;
      prompts: unknown;
      usage: unknown;
      judged_at: Date | string;
    }>("SELECT model, prompts, usage, judged_at FROM vigil.judge_runs WHERE investigation_id = $1", [investigationId]);
    const head = run.rows[0];
    if (!head) return undefined;
    const { rows } = await this.#db.query<JudgmentRow>(
      "SELECT criterion, passed, reason, evidence FROM vigil.judgments WHERE investigation_id = $1 ORDER BY criterion",
      [investigationId],
    );
    const criteria: CriterionResult[] = rows.map((r) => {
      const evidence = jsonValue(r.evidence) as string[];
      return { id: r.criterion, passed: r.passed, reason: r.reason, ...(evidence.length > 0 ? { evidence } : {}) };
    });
    const usage = jsonValue(head.usage);
    return judgmentSchema.parse({
      criteria,
      judgedAt: new Date(head.judged_at).toISOString(),
      judge: {
        ...(head.model ? { model: head.model } : {}),
        prompts: jsonValue(head.prompts),
        ...(usage ? { usage } : {}),
      },
    });
  }

  /** Remove an investigation's judgments (tenant deletion, retention). */
  async delete(investigationId: string): Promise<void> {
    await this.#db.query("DELETE FROM vigil.judgments WHERE investigation_id = $1", [investigationId]);
    await this.#db.query("DELETE FROM vigil.judge_runs WHERE investigation_id = $1", [investigationId]);
  }

  /** Pass ratio per criterion (and alert class), optionally since a time. */
  async passRatios(options: { byAlertClass?: boolean; since?: Date; tenant?: string } = {}): Promise<PassRatio[]> {
    const classColumn = options.byAlertClass ? "alert_class" : "'*'";
    const { rows } = await this.#db.query<{
      criterion: string;
      alert_class: string;
      passed: number;
      failed: number;
      not_judged: number;
    }>(
      `SELECT criterion, ${classColumn} AS alert_class,
              count(*) FILTER (WHERE passed)::int AS passed,
              count(*) FILTER (WHERE NOT passed)::int AS failed,
              count(*) FILTER (WHERE passed IS NULL)::int AS not_judged
         FROM vigil.judgments
        WHERE ($1::timestamptz IS NULL OR judged_at >= $1) AND ($2::text IS NULL OR tenant = $2)
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [options.since?.toISOString() ?? null, options.tenant ?? null],
    );
    return rows.map((r) => ({
      criterion: r.criterion,
      alertClass: r.alert_class,
      passed: Number(r.passed),
      failed: Number(r.failed),
      notJudged: Number(r.not_judged),
      ratio: Number(r.passed) + Number(r.failed) > 0 ? Number(r.passed) / (Number(r.passed) + Number(r.failed)) : null,
    }));
  }

  /** Agreement between one criterion and 👍/👎 over investigations that have both; not-judged rows are left out. */
  async agreement(criterion: string): Promise<Agreement> {
    const pairs = await this.#pairs(criterion);
    const out: Agreement = {
      criterion,
      n: 0,
      agree: 0,
      ratio: null,
      passedUp: 0,
      passedDown: 0,
      failedUp: 0,
      failedDown: 0,
    };
    for (const { passed, verdict } of pairs) {
      out.n += 1;
      if (passed && verdict === "up") out.passedUp += 1;
      else if (passed) out.passedDown += 1;
      else if (verdict === "up") out.failedUp += 1;
      else out.failedDown += 1;
    }
    out.agree = out.passedUp + out.failedDown;
    out.ratio = out.n > 0 ? out.agree / out.n : null;
    return out;
  }

  /** Agreement of every stored criterion, for the web UI's "beside the criterion" column. */
  async agreements(): Promise<Agreement[]> {
    const { rows } = await this.#db.query<{ criterion: string }>(
      "SELECT DISTINCT criterion FROM vigil.judgments ORDER BY criterion",
    );
    const out: Agreement[] = [];
    for (const r of rows) out.push(await this.agreement(r.criterion));
    return out;
  }

  get hasVerdicts(): boolean {
    return Boolean(this.#options.verdictView || this.#options.verdictOf);
  }

  async #pairs(criterion: string): Promise<Array<{ passed: boolean; verdict: FeedbackVerdict }>> {
    const { verdictView, verdictOf } = this.#options;
    if (verdictView) {
      const { rows } = await this.#db.query<{ passed: boolean; verdict: unknown }>(
        `SELECT j.passed, v.verdict FROM vigil.judgments j JOIN ${verdictView} v ON v.investigation_id = j.investigation_id
          WHERE j.criterion = $1 AND j.passed IS NOT NULL`,
        [criterion],
      );
      return rows.flatMap((r) => {
        const verdict = normaliseVerdict(r.verdict);
        return verdict ? [{ passed: r.passed, verdict }] : [];
      });
    }
    if (!verdictOf) return [];
    const { rows } = await this.#db.query<{ investigation_id: string; passed: boolean }>(
      "SELECT investigation_id, passed FROM vigil.judgments WHERE criterion = $1 AND passed IS NOT NULL",
      [criterion],
    );
    const out: Array<{ passed: boolean; verdict: FeedbackVerdict }> = [];
    for (const r of rows) {
      const verdict = await verdictOf(r.investigation_id);
      if (verdict) out.push({ passed: r.passed, verdict });
    }
    return out;
  }
}

export const JUDGE_PASS_RATIO_METRIC = "vigil_judge_pass_ratio";
export const JUDGE_AGREEMENT_METRIC = "vigil_judge_feedback_agreement";

/**
 * Register `vigil_judge_pass_ratio{criterion, alert_class}` (and, when the store can read feedback,
 * `vigil_judge_feedback_agreement{criterion}`) on a registry. Values are read from the store at scrape time, so
 * every replica exports the same numbers. A failing query leaves the last values rather than failing the scrape.
 */
export function registerJudgeMetrics(
  registry: Registry,
  store: JudgeStore,
  options: { since?: () => Date } = {},
): void {
  if (!registry.getSingleMetric(JUDGE_PASS_RATIO_METRIC)) {
    new Gauge({
      name: JUDGE_PASS_RATIO_METRIC,
      help: "Share of judged investigations that passed each checklist criterion (not-judged ones left out)",
      labelNames: ["criterion", "alert_class"],
      registers: [registry],
      async collect() {
        try {
          const ratios = await store.passRatios({ byAlertClass: true, since: options.since?.() });
          this.reset();
          for (const r of ratios) {
            if (r.ratio !== null) this.set({ criterion: r.criterion, alert_class: r.alertClass }, r.ratio);
          }
        } catch {
          // Keep the previous values: a scrape during a database hiccup should not drop the series.
        }
      },
    });
  }
  if (store.hasVerdicts && !registry.getSingleMetric(JUDGE_AGREEMENT_METRIC)) {
    new Gauge({
      name: JUDGE_AGREEMENT_METRIC,
      help: "Share of investigations where a checklist criterion agrees with the engineers' thumbs up/down",
      labelNames: ["criterion"],
      registers: [registry],
      async collect() {
        try {
          const agreements = await store.agreements();
          this.reset();
          for (const a of agreements) if (a.ratio !== null) this.set({ criterion: a.criterion }, a.ratio);
        } catch {
          // As above.
        }
      },
    });
  }
}
