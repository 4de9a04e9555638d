import type { Alert, Candidate, FaultClass, InvestigationResult } from "../agents/types.ts";
import type { Anonymizer } from "../knowledge/anonymizer.ts";
import { CustomerContextStore } from "../knowledge/customer-context.ts";
import { LearnedPatternStore } from "../knowledge/learned-patterns.ts";
import { alertSignatureOf, matchPatternDetail, proposePattern } from "../knowledge/propose-pattern.ts";
import { patternReviewBlocks, patternReviewedBlocks, reviewText } from "../knowledge/review-blocks.ts";
import type { Logger } from "./logger.ts";
import type { PriorBoost } from "./ranking/statistics.ts";
import type { Db } from "./store/db.ts";
import type { InvestigationStore } from "./store/investigations.ts";

export type PostInThread = (
  thread: { channel: string; threadTs: string },
  message: { text: string; blocks: unknown[] },
) => Promise<void>;

export interface Learning {
  /** A person confirmed the cause of an investigation: propose a generalized, anonymized pattern for review. */
  onConfirmed(investigationId: string, cause: { service: string; faultClass?: FaultClass }): Promise<void>;
  approve(patternId: string, reviewer: string): Promise<{ text: string; blocks: unknown[] }>;
  reject(patternId: string, reviewer: string, reason?: string): Promise<{ text: string; blocks: unknown[] }>;
  edit(patternId: string, description: string, reviewer: string): Promise<{ text: string; blocks: unknown[] }>;
  get(patternId: string): ReturnType<LearnedPatternStore["get"]>;
  /** Approved patterns matching the alert, as pseudo-successes for the strategies that found their causes. */
  strategyBoosts(alert: Alert): Promise<PriorBoost[]>;
  /** Approved patterns as priors on the hypotheses: a candidate matching a known pattern's cause rises a little. */
  adjustCandidates(alert: Alert, candidates: Candidate[]): Promise<Candidate[]>;
}

/** How much a fully matching approved pattern raises a candidate's score (toward 1). Priors nudge; evidence decides. */
const PATTERN_PRIOR_WEIGHT = 0.2;

/**
 * The daemon's side of learning: confirmed investigations become pattern proposals, posted for review in their
 * Slack thread. Only `knowledge/` writes the stores; this module only calls it. Off without VIGIL_ANONYMIZER_KEY.
 */
export function createLearning(deps: {
  db: Db;
  store: InvestigationStore;
  logger: Logger;
  tenant: string;
  anonymizerKey: string;
  postInThread?: PostInThread;
}): Learning {
  const context = new CustomerContextStore(deps.db);
  let anonymizer: Promise<Anonymizer> | undefined;
  const getAnonymizer = () => {
    anonymizer ??= context.anonymizerFor(deps.tenant, deps.anonymizerKey);
    return anonymizer;
  };
  const patternsStore = async () => new LearnedPatternStore(deps.db, { anonymizer: await getAnonymizer() });
  const rendered = async (pattern: Awaited<ReturnType<LearnedPatternStore["get"]>>) => {
    const a = await getAnonymizer();
    if (!pattern) return { text: "This pattern no longer exists.", blocks: [] };
    await context.flushPseudonyms(a);
    return { text: reviewText(pattern), blocks: patternReviewedBlocks(pattern, a) };
  };

  return {
    async onConfirmed(investigationId, cause) {
      const record = await deps.store.get(investigationId);
      if (!record?.result) return;
      const a = await getAnonymizer();
      let draft: ReturnType<typeof proposePattern>;
      try {
        draft = proposePattern(record.result, cause, { anonymizer: a, topology: await context.topology(deps.tenant) });
      } catch (error) {
        // A draft that would leak an identifier is refused by the anonymizer's checks: never stored, never posted.
        deps.logger.warn({ err: error, investigationId }, "Pattern proposal refused");
        return;
      }
      const { pattern, created } = await (await patternsStore()).propose(draft);
      await context.flushPseudonyms(a);
      if (!created || !deps.postInThread || !record.slackChannel || !record.slackThreadTs) return;
      await deps.postInThread(
        { channel: record.slackChannel, threadTs: record.slackThreadTs },
        { text: reviewText(pattern), blocks: patternReviewBlocks(pattern, a) },
      );
    },
    async approve(patternId, reviewer) {
      return rendered(await (await patternsStore()).approve(patternId, reviewer));
    },
    async reject(patternId, reviewer, reason) {
      return rendered(await (await patternsStore()).reject(patternId, reviewer, reason));
    },
    async edit(patternId, description, reviewer) {
      return rendered(await (await patternsStore()).edit(patternId, { description }, reviewer));
    },
    async get(patternId) {
      return (await patternsStore()).get(patternId);
    },
    async strategyBoosts(alert) {
      const matches = await (await patternsStore()).matching(alertSignatureOf(alert));
      return matches.flatMap(({ pattern, score }) =>
        pattern.foundBy.strategies.map((strategy) => ({ strategy, weight: score })),
      );
    },
    async adjustCandidates(alert, candidates) {
      if (candidates.length === 0) return candidates;
      const matches = await (await patternsStore()).matching(alertSignatureOf(alert));
      if (matches.length === 0) return candidates;
      const a = await getAnonymizer();
      const partial = { alert, candidates } as unknown as InvestigationResult;
      const boost = new Map<string, number>();
      for (const { pattern, score } of matches) {
        const detail = matchPatternDetail(pattern, partial, { anonymizer: a });
        if (detail.service) boost.set(detail.service, Math.max(boost.get(detail.service) ?? 0, score * detail.score));
      }
      return candidates
        .map((c) => {
          const b = boost.get(c.service) ?? 0;
          return b > 0 ? { ...c, score: c.score + (1 - c.score) * PATTERN_PRIOR_WEIGHT * b } : c;
        })
        .sort((x, y) => y.score - x.score || x.service.localeCompare(y.service));
    },
  };
}
