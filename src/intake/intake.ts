import type { Alert } from "../../agents/types.ts";
import { redactDeep } from "../../tools/redact/redact.ts";
import { HEARTBEAT_STALE_MS } from "../investigation-runner.ts";
import type { Logger } from "../logger.ts";
import type { InvestigationQueue } from "../queue/queue.ts";
import { alertClassOf } from "../ranking/alert-class.ts";
import type { AlertSource, InvestigationStore } from "../store/investigations.ts";
import type { DaemonMetrics } from "../telemetry/metrics.ts";
import { storableAlert, storableText } from "./normalize-alert.ts";

export interface AcceptInput {
  alert: Alert;
  source: AlertSource;
  dedupeKey?: string;
  /** Related alerts share it (service or Alertmanager group); absent: the alert is never grouped. */
  groupKey?: string;
  slackChannel?: string;
  slackThreadTs?: string;
}

export interface AcceptOutcome {
  investigationId: string;
  created: boolean;
  outcome: "created" | "duplicate" | "grouped" | "cooldown";
}

export interface IntakePolicy {
  groupWindowMs: number;
  cooldownMs: number;
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
      policy?: IntakePolicy;
    },
  ) {}

  async accept(raw: AcceptInput): Promise<AcceptOutcome> {
    // Whatever the source, an alert is stored and shown (Slack, UI) only after redaction (annotations often paste
    // connection strings or tokens) and with characters Postgres cannot store replaced.
    const input = {
      ...raw,
      alert: storableAlert(redactDeep(raw.alert)),
      groupKey: raw.groupKey === undefined ? undefined : storableText(raw.groupKey),
      dedupeKey: raw.dedupeKey === undefined ? undefined : storableText(raw.dedupeKey),
    };
    const policy = this.deps.policy ?? { groupWindowMs: 0, cooldownMs: 0 };
    const { record, created, outcome } = await this.deps.store.createOrFind({
      ...input,
      groupWindowMs: input.groupKey ? policy.groupWindowMs : 0,
      alertClass: alertClassOf(input.alert),
      // Slack mentions are explicit requests: never folded into another investigation by cooldown.
      cooldownMs: input.source === "alertmanager" ? policy.cooldownMs : 0,
    });
    this.deps.metrics.alertsReceived.inc({ source: input.source, result: outcome });
    if (!created) {
      this.deps.logger.info(
        { investigationId: record.id, fingerprint: input.alert.fingerprint, outcome },
        "Alert attached to an existing investigation",
      );
      return { investigationId: record.id, created: false, outcome };
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
    return { investigationId: record.id, created: true, outcome };
  }

  /** Re-send jobs for investigations that stayed queued (a crash between persist and enqueue, a lost job). */
  async recover(olderThanMs: number, heartbeatStaleMs = HEARTBEAT_STALE_MS, deadBefore?: Date): Promise<number> {
    const stale = await this.deps.store.stale(olderThanMs, heartbeatStaleMs, deadBefore);
    let sent = 0;
    for (const record of stale) {
      const jobId = await this.deps.queue.enqueue(record.id).catch(() => null);
      if (jobId) sent += 1;
    }
    if (sent > 0) this.deps.logger.info({ sent }, "Recovered investigations re-queued");
    return sent;
  }
}
