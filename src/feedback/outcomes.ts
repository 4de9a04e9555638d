/**
 * The outcome of a confirmed investigation, per strategy: did its top hypothesis name the confirmed cause
 * (exactly or by alias), how long did it take, how many queries and tokens did it spend. These rows are what the
 * strategy ranking learns from; they are recomputed whenever the investigation's authorized feedback changes.
 *
 * What counts as the confirmed cause:
 * - a real cause someone added wins (whatever the buttons said);
 * - else "Correct" confirms Vigil's top candidate, and "Not quite" half-confirms it (credit 0.5);
 * - else "Wrong" only tells that the strategies blaming Vigil's top candidate, and the ones that found nothing,
 *   missed; a strategy that blamed something else may have been right, so it is not judged (credit null).
 * Per-hypothesis verdicts from the web UI override the strategy they name.
 *
 * @example
 * const outcomes = computeOutcomes(result, await verdictOf(db, id));
 * await refreshOutcomes(db, id); // recompute and persist
 */
import { z } from "zod";
import type { InvestigationResult } from "../../agents/types.ts";
import type { Db } from "../store/db.ts";
import { listFeedback, summarizeFeedback, type Verdict, type VerdictSummary } from "./feedback-store.ts";

export interface StrategyOutcome {
  strategy: string;
  /** 1 found the confirmed cause, 0.5 half-confirmed, 0 missed, null not judged. */
  credit: number | null;
  topService?: string;
  confirmedService?: string;
  /** Time to the strategy's finding: its wall-clock duration. */
  durationMs: number;
  toolCalls: number;
  tokens: number;
}

export interface OutcomeOptions {
  /** Other names of a service (catalog aliases, deployment names); the fixture answers' `aliases` in the bench. */
  aliases?: (service: string) => string[];
}

const CREDIT: Record<Verdict, number> = { correct: 1, partial: 0.5, wrong: 0 };

/**
 * Service names as people type them and as strategies report them differ in case, namespace prefix and DNS
 * suffix ("Checkout", "shop/checkout", "checkout.shop.svc.cluster.local"); compare the bare name.
 */
export function normalizeServiceName(name: string): string {
  let n = name.trim().toLowerCase();
  const slash = n.lastIndexOf("/");
  if (slash >= 0) n = n.slice(slash + 1);
  const svc = n.indexOf(".svc");
  if (svc > 0) n = n.slice(0, n.indexOf("."));
  return n;
}

export function sameService(a: string | undefined, b: string | undefined, options: OutcomeOptions = {}): boolean {
  if (!a || !b) return false;
  const names = (s: string) => new Set([s, ...(options.aliases?.(s) ?? [])].map(normalizeServiceName));
  const left = names(a);
  for (const n of names(b)) if (left.has(n)) return true;
  return false;
}

/** LLM tokens spent under each strategy's span of the investigation trace. */
export function tokensByStrategy(result: InvestigationResult): Map<string, number> {
  const tokens = new Map<string, number>();
  const spans = result.trace?.spans ?? [];
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (const span of spans) {
    if (span.kind !== "llm") continue;
    const used =
      Number(span.attributes["gen_ai.usage.input_tokens"] ?? 0) +
      Number(span.attributes["gen_ai.usage.output_tokens"] ?? 0);
    if (!Number.isFinite(used) || used <= 0) continue;
    let parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
    // Walk up to the strategy span; calls outside any strategy (the summary rewrite) belong to none.
    for (let depth = 0; parent && parent.kind !== "strategy" && depth < 64; depth++) {
      parent = parent.parentSpanId ? byId.get(parent.parentSpanId) : undefined;
    }
    if (parent?.kind !== "strategy") continue;
    const name = parent.name.replace(/^strategy /, "");
    tokens.set(name, (tokens.get(name) ?? 0) + used);
  }
  return tokens;
}

export function computeOutcomes(
  result: InvestigationResult,
  verdict: VerdictSummary,
  options: OutcomeOptions = {},
): StrategyOutcome[] {
  const finalTop = result.candidates[0]?.service;
  const tokens = tokensByStrategy(result);
  const confirmed =
    verdict.realCause?.service ?? (verdict.verdict && verdict.verdict !== "wrong" ? finalTop : undefined);
  const confirmedCredit = verdict.realCause ? 1 : verdict.verdict ? CREDIT[verdict.verdict] : 0;

  return result.strategies.map((s) => {
    const top = s.topCandidate;
    let credit: number | null = null;
    if (confirmed) {
      credit = sameService(top, confirmed, options) ? confirmedCredit : 0;
    } else if (verdict.verdict === "wrong") {
      credit = !top || sameService(top, finalTop, options) ? 0 : null;
    }
    const onThis = verdict.hypotheses.filter((h) => h.target.strategy === s.name);
    if (onThis.length > 0) {
      // Several people on one hypothesis: the mean of their credits.
      credit = onThis.reduce((sum, h) => sum + CREDIT[h.verdict], 0) / onThis.length;
    }
    return {
      strategy: s.name,
      credit,
      ...(top ? { topService: top } : {}),
      ...(confirmed ? { confirmedService: confirmed } : {}),
      durationMs: Math.max(0, Math.round(s.durationMs)),
      toolCalls: Math.max(0, s.toolCalls),
      tokens: tokens.get(s.name) ?? 0,
    };
  });
}

const investigationRowSchema = z.object({
  result: z
    .union([z.string().transform((s) => JSON.parse(s) as unknown), z.record(z.string(), z.unknown())])
    .nullable(),
  created_at: z.union([z.date(), z.string()]).transform((v) => new Date(v)),
});

/**
 * Recompute and store the outcomes of one investigation from its current authorized feedback. Without any
 * authorized feedback the investigation teaches nothing and its rows are removed (someone retracted, or the
 * allowlist changed). Returns what was stored.
 */
export async function refreshOutcomes(
  db: Pick<Db, "query" | "transaction">,
  investigationId: string,
  options: OutcomeOptions = {},
): Promise<StrategyOutcome[]> {
  const { rows } = await db.query("SELECT result, created_at FROM vigil.investigations WHERE id = $1", [
    investigationId,
  ]);
  const row = rows[0] ? investigationRowSchema.parse(rows[0]) : undefined;
  const result = row?.result as InvestigationResult | null | undefined;
  const verdict = summarizeFeedback(await listFeedback(db, investigationId));
  const teaches = Boolean(verdict.verdict || verdict.realCause || verdict.hypotheses.length > 0);
  const outcomes = result && row && teaches ? computeOutcomes(result, verdict, options) : [];
  await db.transaction(async (tx) => {
    await tx.query("DELETE FROM vigil.strategy_outcomes WHERE investigation_id = $1", [investigationId]);
    for (const o of outcomes) {
      await tx.query(
        `INSERT INTO vigil.strategy_outcomes
           (investigation_id, strategy, credit, top_service, confirmed_service, duration_ms, tool_calls, tokens, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          investigationId,
          o.strategy,
          o.credit,
          o.topService ?? null,
          o.confirmedService ?? null,
          o.durationMs,
          o.toolCalls,
          o.tokens,
          (row?.created_at ?? new Date()).toISOString(),
        ],
      );
    }
  });
  return outcomes;
}

export async function listOutcomes(db: Pick<Db, "query">, investigationId: string): Promise<StrategyOutcome[]> {
  const { rows } = await db.query<{
    strategy: string;
    credit: number | null;
    top_service: string | null;
    confirmed_service: string | null;
    duration_ms: number;
    tool_calls: number;
    tokens: number;
  }>("SELECT * FROM vigil.strategy_outcomes WHERE investigation_id = $1 ORDER BY strategy", [investigationId]);
  return rows.map((r) => ({
    strategy: r.strategy,
    credit: r.credit === null ? null : Number(r.credit),
    ...(r.top_service ? { topService: r.top_service } : {}),
    ...(r.confirmed_service ? { confirmedService: r.confirmed_service } : {}),
    durationMs: Number(r.duration_ms),
    toolCalls: Number(r.tool_calls),
    tokens: Number(r.tokens),
  }));
}
