/**
 * The callbacks the Slack router (and the web UI) need, over one Db: record feedback with the allowlist applied,
 * recompute the investigation's strategy outcomes, find an investigation by its summary message, and print the
 * strategy leaderboard.
 *
 * @example
 * const feedback = createFeedbackService({
 *   db, logger,
 *   allowlist: parseAllowlist(process.env.VIGIL_FEEDBACK_ALLOWLIST),
 *   listGroupMembers: (group) => slackGroupMembers(slack.app.client)(group),
 * });
 * createSlack({ ...,
 *   onFeedback: feedback.onFeedback,
 *   onRealCause: feedback.onRealCause,
 *   findInvestigationByMessage: feedback.findInvestigationByMessage,
 *   leaderboard: feedback.leaderboard,
 * });
 */
import type { Logger } from "pino";
import { leaderboardText } from "../ranking/leaderboard.ts";
import type { Db } from "../store/db.ts";
import { type Allowlist, type Authorize, createFeedbackAuthorizer, type ListGroupMembers } from "./allowlist.ts";
import {
  type FeedbackRecord,
  type FeedbackSource,
  type FeedbackTarget,
  findInvestigationByMessage,
  type RealCause,
  recordFeedback,
  type Verdict,
} from "./feedback-store.ts";
import { type OutcomeOptions, refreshOutcomes } from "./outcomes.ts";

export interface FeedbackServiceOptions extends OutcomeOptions {
  db: Db;
  logger: Logger;
  allowlist: Allowlist;
  listGroupMembers?: ListGroupMembers;
  /** Overrides the allowlist check (tests, the web UI's own auth). */
  authorize?: Authorize;
  /** Label keys of the alert class (VIGIL_ALERT_CLASS_LABELS) and decay, for the leaderboard. */
  classLabels?: string[];
  halfLifeDays?: number;
  /** Strategy names to list on the leaderboard even without history (the registry). */
  strategies?: string[];
}

/** What the Slack router passes for a button click or a reaction. */
export interface FeedbackEvent {
  investigationId: string;
  verdict: Verdict;
  user: string;
  source?: FeedbackSource; // default "button"
  reason?: string;
  realCause?: RealCause;
  target?: FeedbackTarget;
}

/** What the modal (reason, real cause) submits. */
export interface RealCauseEvent {
  investigationId: string;
  verdict: Verdict;
  user: string;
  reason?: string;
  realCause?: { service: string; description?: string };
}

export interface FeedbackAck {
  authorized: boolean;
}

export interface FeedbackService {
  record(event: FeedbackEvent): Promise<FeedbackRecord>;
  onFeedback(event: FeedbackEvent): Promise<FeedbackAck>;
  onRealCause(event: RealCauseEvent): Promise<FeedbackAck>;
  findInvestigationByMessage(channel: string, messageTs: string): Promise<string | undefined>;
  leaderboard(alertClass?: string): Promise<string>;
}

export function createFeedbackService(options: FeedbackServiceOptions): FeedbackService {
  const logger = options.logger.child({ component: "feedback" });
  const authorize =
    options.authorize ??
    createFeedbackAuthorizer({
      allowlist: options.allowlist,
      listGroupMembers: options.listGroupMembers,
      onError: (error, groupId) =>
        logger.warn({ err: (error as Error)?.message, groupId }, "Could not read a feedback allowlist group"),
    });

  async function record(event: FeedbackEvent): Promise<FeedbackRecord> {
    const authorized = await authorize(event.user);
    const stored = await recordFeedback(options.db, {
      investigationId: event.investigationId,
      userId: event.user,
      source: event.source ?? "button",
      verdict: event.verdict,
      reason: event.reason,
      realCause: event.realCause,
      target: event.target,
      authorized,
    });
    if (!authorized) {
      logger.info({ investigationId: event.investigationId, user: event.user }, "Feedback from a user not allowlisted");
      return stored;
    }
    try {
      await refreshOutcomes(options.db, event.investigationId, options);
    } catch (error) {
      // The feedback is stored; outcomes are recomputed on the next feedback or by a backfill.
      logger.error({ err: (error as Error)?.message, investigationId: event.investigationId }, "Outcome update failed");
    }
    return stored;
  }

  return {
    record,
    async onFeedback(event) {
      const stored = await record(event);
      return { authorized: stored.authorized };
    },
    async onRealCause(event) {
      const stored = await record({
        investigationId: event.investigationId,
        verdict: event.verdict,
        user: event.user,
        source: "modal",
        reason: event.reason,
        realCause: event.realCause?.service
          ? { service: event.realCause.service, description: event.realCause.description ?? "" }
          : undefined,
      });
      return { authorized: stored.authorized };
    },
    findInvestigationByMessage: (channel, messageTs) => findInvestigationByMessage(options.db, channel, messageTs),
    leaderboard: (alertClass) =>
      leaderboardText(options.db, alertClass, {
        labels: options.classLabels,
        halfLifeDays: options.halfLifeDays,
        strategies: options.strategies,
      }),
  };
}
