import { type InvestigateOptions, investigate } from "../agents/investigate/investigate.ts";
import type { LlmClient } from "../agents/llm/client.ts";
import type { InvestigationTrace } from "../agents/trace/types.ts";
import type { Alert, InvestigationResult } from "../agents/types.ts";
import type { InvestigationTools } from "../tools/interfaces.ts";
import { redactDeep } from "../tools/redact/redact.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import { alertClassOf } from "./ranking/alert-class.ts";
import type { SlackNotifier } from "./slack/notifier.ts";
import type { InvestigationStore } from "./store/investigations.ts";
import type { DaemonMetrics } from "./telemetry/metrics.ts";

export interface RunnerDeps {
  store: InvestigationStore;
  buildTools: (alert: Alert) => InvestigationTools;
  config: Pick<
    Config,
    "VIGIL_BASELINE_MINUTES" | "VIGIL_STEP_SECONDS" | "VIGIL_ABSTAIN_THRESHOLD" | "VIGIL_STRATEGY_TIMEOUT_MS"
  >;
  logger: Logger;
  metrics: DaemonMetrics;
  slack?: { notifier: SlackNotifier; channel?: string };
  /**
   * Running investigations whose last heartbeat is older than this are dead at once: with the embedded store only
   * this process can run anything, so everything running before it started belongs to a killed predecessor.
   */
  deadBefore?: Date;
  /** Most investigations running at once across all replicas (0: no limit beyond each process's concurrency). */
  globalConcurrency?: number;
  /** Re-send an investigation's job for later (used when the global limit is reached). */
  defer?: (investigationId: string) => Promise<unknown>;
  /** Attempts after which a failing investigation is marked failed instead of retried. */
  maxAttempts?: number;
  llm?: LlmClient;
  order?: InvestigateOptions["order"];
  adjustCandidates?: InvestigateOptions["adjustCandidates"];
  /** Runs after the result is stored (quality judges); failures are logged, never fail the investigation. */
  afterComplete?: (investigationId: string, result: InvestigationResult) => Promise<unknown>;
  /** Where finished traces go (OTLP), when configured. */
  exportTrace?: (trace: InvestigationTrace) => Promise<unknown>;
}

/** How often a running investigation's worker says it is alive, and when silence means it died. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
export const HEARTBEAT_STALE_MS = 30_000;

function outcomeOf(result: InvestigationResult): "cause" | "abstained" {
  return result.abstained ? "abstained" : "cause";
}

/**
 * Run one queued investigation to its final summary. Idempotent: a retried job reuses the Slack thread and the
 * summary message already posted (stored before use), so a thread gets exactly one summary, edited in place.
 */
export async function runInvestigation(investigationId: string, deps: RunnerDeps): Promise<void> {
  const { store, logger, metrics } = deps;
  const record = await store.get(investigationId);
  if (!record) {
    logger.warn({ investigationId }, "Job for an unknown investigation dropped");
    return;
  }
  if (record.status === "done" || record.status === "failed") return;
  const claim = await store.claim(investigationId, HEARTBEAT_STALE_MS, deps.deadBefore, deps.globalConcurrency ?? 0);
  if (claim === "at-limit") {
    // Every slot of the global limit is taken (across replicas): come back later, without using up a retry.
    logger.info({ investigationId }, "Global concurrency limit reached; investigation deferred");
    await deps.defer?.(investigationId);
    return;
  }
  if (claim === "busy") {
    // Another worker holds it and is alive (its heartbeat is fresh): this job is a duplicate, not a retry.
    logger.info({ investigationId }, "Investigation is running elsewhere");
    return;
  }
  const heartbeat = setInterval(() => {
    store.heartbeat(investigationId).catch(() => undefined);
  }, HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();
  const started = Date.now();
  const notifier = deps.slack?.notifier;
  try {
    // A lookup that fails (a missing history scope, Slack down) must not fail the investigation: posting again risks
    // a duplicate message, failing risks no answer at all.
    const lookUp = async <T>(find: () => Promise<T | undefined>): Promise<T | undefined> =>
      find().catch((error: unknown) => {
        logger.warn({ err: error, investigationId }, "Could not look for an earlier attempt's Slack message");
        return undefined;
      });
    let thread =
      record.slackChannel && record.slackThreadTs
        ? { channel: record.slackChannel, threadTs: record.slackThreadTs }
        : undefined;
    if (!thread && notifier && deps.slack?.channel) {
      // A retried attempt may have posted the alert and died before recording where: look before posting again.
      const earlier = record.attempts > 0 ? await lookUp(() => notifier.findAlertMessage(record.alert)) : undefined;
      const posted = earlier ?? (await notifier.postAlert(record.alert));
      thread = { channel: posted.channel, threadTs: posted.ts };
      await store.setSlackThread(investigationId, thread);
    }
    let messageTs = record.slackMessageTs ?? undefined;
    if (thread && notifier && !messageTs) {
      // Likewise for the progress message: an earlier attempt may have posted it and died before recording it.
      const earlier =
        record.attempts > 0 ? await lookUp(() => notifier.findProgressMessage(thread, investigationId)) : undefined;
      const progress =
        earlier ??
        (await notifier.postProgress(thread, record.alert, { strategiesDone: 0, strategiesTotal: 0 }, investigationId));
      messageTs = progress.ts;
      await store.setSlackMessage(investigationId, messageTs);
    }

    const tools = deps.buildTools(record.alert);
    let done = 0;
    const raw = await investigate(record.alert, tools, {
      baselineMs: deps.config.VIGIL_BASELINE_MINUTES * 60_000,
      stepMs: deps.config.VIGIL_STEP_SECONDS * 1000,
      abstainThreshold: deps.config.VIGIL_ABSTAIN_THRESHOLD,
      strategyTimeoutMs: deps.config.VIGIL_STRATEGY_TIMEOUT_MS,
      llm: deps.llm,
      order: deps.order,
      adjustCandidates: deps.adjustCandidates,
      onProgress: (event) => {
        done += 1;
        if (thread && notifier && messageTs) {
          notifier
            .updateProgress(thread, messageTs, record.alert, {
              strategiesDone: done,
              strategiesTotal: 0,
              note: event.strategy,
            })
            .catch((error: unknown) => logger.warn({ err: error, investigationId }, "Progress update failed"));
        }
      },
    });
    // Tool output is redacted by the envelope; this second pass guards everything that leaves for Slack and storage.
    const result = redactDeep(raw);
    for (const s of result.strategies) metrics.strategyDuration.observe({ strategy: s.name }, s.durationMs / 1000);
    for (const call of result.toolCalls) {
      metrics.toolCalls.inc({
        backend: call.backend,
        result: call.error ? "error" : call.cacheHit ? "cache_hit" : "ok",
      });
    }
    if (thread && notifier) {
      const posted = await notifier.postOrUpdateSummary(thread, messageTs, result, investigationId);
      if (!messageTs) await store.setSlackMessage(investigationId, posted.ts);
    }
    await store.complete(investigationId, result);
    const envelope = tools.envelope as { recorded?: unknown[] } | undefined;
    if (envelope?.recorded) {
      await store
        .saveRecording(investigationId, { now: tools.now, window: result.window, results: envelope.recorded })
        .catch((error: unknown) => logger.warn({ err: error, investigationId }, "Recording not saved"));
    }
    if (deps.afterComplete) {
      await deps
        .afterComplete(investigationId, result)
        .catch((error: unknown) => logger.warn({ err: error, investigationId }, "After-completion step failed"));
    }
    if (result.trace && deps.exportTrace) {
      deps.exportTrace(result.trace).catch((error: unknown) => logger.warn({ err: error }, "Trace export failed"));
    }
    metrics.investigations.inc({ outcome: outcomeOf(result), alert_class: alertClassOf(record.alert) });
    metrics.investigationDuration.observe({ outcome: outcomeOf(result) }, (Date.now() - started) / 1000);
    logger.info(
      {
        investigationId,
        abstained: result.abstained,
        top: result.candidates[0]?.service,
        confidence: result.confidence,
      },
      "Investigation finished",
    );
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    const attempts = record.attempts + 1;
    logger.error({ err: error, investigationId, attempts }, "Investigation failed");
    if (attempts >= (deps.maxAttempts ?? 3)) {
      await store.fail(investigationId, message);
      metrics.investigations.inc({ outcome: "failed", alert_class: alertClassOf(record.alert) });
      return;
    }
    // Hand it back so the queue's retry can claim it.
    await store.requeue(investigationId).catch(() => undefined);
    throw error;
  } finally {
    clearInterval(heartbeat);
  }
}
