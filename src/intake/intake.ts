import type { Alert } from "../../agents/types.ts";
import type { Logger } from "../logger.ts";
import type { InvestigationQueue } from "../queue/queue.ts";
import type { AlertSource, InvestigationStore } from "../store/investigations.ts";
import type { DaemonMetrics } from "../telemetry/metrics.ts";

export interface AcceptInput {
  alert: Alert;
  source: AlertSource;
  dedupeKey?: string;
  slackChannel?: string;
  slackThreadTs?: string;
}

export interface AcceptOutcome {
  investigationId: string;
  created: boolean;
}

/**
 * Alert intake: persist first, then enqueue. A duplicate finds its investigation and starts nothing. If the
 * enqueue fails after the row is stored, the recovery sweep sends the job later: nothing accepted is lost.
 */
export class Intake {
  constructor(
    private readonly deps: {
      store: InvestigationStore;
      queue: InvestigationQueue;
      logger: Logger;
      metrics: DaemonMetrics;
    },
  ) {}

  async accept(input: AcceptInput): Promise<AcceptOutcome> {
    const { record, created } = await this.deps.store.createOrFind(input);
    this.deps.metrics.alertsReceived.inc({ source: input.source, result: created ? "created" : "duplicate" });
    if (!created) {
      this.deps.logger.info({ investigationId: record.id, fingerprint: record.fingerprint }, "Duplicate alert ignored");
      return { investigationId: record.id, created: false };
    }
    try {
      await this.deps.queue.enqueue(record.id);
    } catch (error) {
      this.deps.logger.warn(
        { err: error, investigationId: record.id },
        "Enqueue failed; the recovery sweep will retry",
      );
    }
    this.deps.logger.info(
      { investigationId: record.id, alertname: record.alertname, source: input.source },
      "Investigation queued",
    );
    return { investigationId: record.id, created: true };
  }

  /** Re-send jobs for investigations that stayed queued (a crash between persist and enqueue, a lost job). */
  async recover(olderThanMs: number): Promise<number> {
    const stale = await this.deps.store.stale(olderThanMs);
    let sent = 0;
    for (const record of stale) {
      const jobId = await this.deps.queue.enqueue(record.id).catch(() => null);
      if (jobId) sent += 1;
    }
    if (sent > 0) this.deps.logger.info({ sent }, "Recovered investigations re-queued");
    return sent;
  }
}
