import { LlmClient } from "../agents/llm/client.ts";
import { llmConfigFromEnv } from "../agents/llm/config.ts";
import { STRATEGIES } from "../agents/strategies/registry.ts";
import type { Config } from "./config.ts";
import { slackGroupMembers } from "./feedback/allowlist.ts";
import { feedbackSettingsFromEnv } from "./feedback/env-docs.ts";
import { createFeedbackService } from "./feedback/feedback-service.ts";
import { verdictOf } from "./feedback/feedback-store.ts";
import { alertmanagerWebhookHandler } from "./intake/alertmanager-webhook.ts";
import { changesWebhookHandler } from "./intake/changes-webhook.ts";
import { Intake } from "./intake/intake.ts";
import { HEARTBEAT_STALE_MS, runInvestigation } from "./investigation-runner.ts";
import { createLearning } from "./learning.ts";
import { configuredSources, createLiveToolsFactory } from "./live-tools.ts";
import type { Logger } from "./logger.ts";
import { FacetStore } from "./quality/facets.ts";
import { JudgeStore, normaliseVerdict, registerJudgeMetrics } from "./quality/judge-store.ts";
import { recordQuality } from "./quality/record-quality.ts";
import { InvestigationQueue } from "./queue/queue.ts";
import { leaderboard } from "./ranking/leaderboard.ts";
import { createRankingOrder } from "./ranking/planner.ts";
import { effectiveHost } from "./server/auth.ts";
import { HttpServer, sendJson, sendText } from "./server/http-server.ts";
import { registerPatternReview } from "./slack/pattern-review.ts";
import { createSlack, type VigilSlack } from "./slack/slack-app.ts";
import { ChangeEventStore } from "./store/change-events.ts";
import { openDb } from "./store/db.ts";
import { InvestigationStore } from "./store/investigations.ts";
import { migrate } from "./store/migrate.ts";
import { createDaemonMetrics } from "./telemetry/metrics.ts";
import { exportTrace } from "./telemetry/otlp-export.ts";
import { registerWebUi, webFeedbackRecorder } from "./web/routes.ts";
import { feedbackStrategyStats, resultsStrategyStats } from "./web/strategy-stats.ts";

export interface Daemon {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** How often queued investigations whose job was lost are re-sent, and how old they must be. */
const RECOVERY_INTERVAL_MS = 30_000;
const RECOVERY_AGE_MS = 60_000;

/** Start the daemon: store and migrations, queue and workers, HTTP server, Slack. */
export async function startDaemon(config: Config, logger: Logger): Promise<Daemon> {
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.VIGIL_DATA_DIR });
  // Only one process can open the embedded store: whatever was running before this one started is dead.
  const deadBefore = db.kind === "pglite" ? new Date() : undefined;
  const migrations = await migrate(db);
  logger.info({ store: db.kind, applied: migrations.applied }, "Store ready");
  const changeEvents = new ChangeEventStore(db);
  const buildTools = await createLiveToolsFactory(config, { webhookChanges: changeEvents });
  logger.info({ sources: configuredSources(config) }, "Data sources configured");

  if (!config.PROMETHEUS_URL) {
    logger.warn({}, "PROMETHEUS_URL is not set: investigations have no metrics and will report no conclusive cause");
  }
  const metrics = createDaemonMetrics();
  const store = new InvestigationStore(db);
  const feedbackSettings = feedbackSettingsFromEnv(process.env);
  let slackClient: VigilSlack["app"]["client"] | undefined;
  const feedback = createFeedbackService({
    db,
    logger,
    allowlist: feedbackSettings.allowlist,
    classLabels: feedbackSettings.classLabels,
    halfLifeDays: feedbackSettings.halfLifeDays,
    strategies: STRATEGIES.map((s) => s.name),
    listGroupMembers: (group) => (slackClient ? slackGroupMembers(slackClient)(group) : Promise.resolve([])),
  });
  const facets = new FacetStore(db);
  const judges = new JudgeStore(db, { verdictOf: (id) => verdictOf(db, id).then((v) => normaliseVerdict(v.verdict)) });
  registerJudgeMetrics(metrics.registry, judges);
  const learning = config.VIGIL_ANONYMIZER_KEY
    ? createLearning({
        db,
        store,
        logger,
        tenant: config.VIGIL_TENANT,
        anonymizerKey: config.VIGIL_ANONYMIZER_KEY,
        postInThread: async (thread, message) => {
          await slackClient?.chat.postMessage({
            channel: thread.channel,
            thread_ts: thread.threadTs,
            text: message.text,
            blocks: message.blocks as never,
          });
        },
      })
    : undefined;
  if (!learning) logger.info({}, "Learned patterns are off: set VIGIL_ANONYMIZER_KEY to propose them from feedback");
  /** Feedback teaches twice: the facet for quality clusters, and (when confirmed) a pattern proposal. */
  const learnFrom = async (investigationId: string, verdict: string, reason?: string, realCause?: string) => {
    try {
      const normalised = normaliseVerdict(verdict);
      if (normalised) await facets.setFeedback(investigationId, normalised, reason);
      if (!learning) return;
      if (realCause) {
        await learning.onConfirmed(investigationId, { service: realCause });
        return;
      }
      if (verdict !== "correct") return;
      const record = await store.get(investigationId);
      const top = record?.result && !record.result.abstained ? record.result.candidates[0] : undefined;
      if (top) await learning.onConfirmed(investigationId, { service: top.service, faultClass: top.faultClass });
    } catch (error) {
      logger.warn({ err: error, investigationId }, "Learning from feedback failed");
    }
  };
  const order = createRankingOrder({
    db,
    labels: feedbackSettings.classLabels,
    halfLifeDays: feedbackSettings.halfLifeDays,
    maxStrategies: feedbackSettings.maxStrategies,
    baseBudgetMs: config.VIGIL_STRATEGY_TIMEOUT_MS,
    boostsFor: learning ? (alert) => learning.strategyBoosts(alert).catch(() => []) : undefined,
    onError: (error) => logger.warn({ err: error }, "Strategy statistics unavailable"),
  });
  const queue = new InvestigationQueue({
    db,
    databaseUrl: config.DATABASE_URL,
    expireInSeconds: config.VIGIL_JOB_EXPIRE_SECONDS,
  });
  queue.onError((error) => logger.error({ err: error }, "Queue error"));
  await queue.start();
  const intake = new Intake({
    store,
    queue,
    logger,
    metrics,
    policy: {
      groupWindowMs: config.VIGIL_GROUP_WINDOW_SECONDS * 1000,
      cooldownMs: config.VIGIL_COOLDOWN_SECONDS * 1000,
    },
  });

  let slack: VigilSlack | undefined;
  if (config.SLACK_BOT_TOKEN) {
    slack = createSlack({
      botToken: config.SLACK_BOT_TOKEN,
      signingSecret: config.SLACK_SIGNING_SECRET,
      appToken: config.SLACK_APP_TOKEN,
      apiUrl: config.SLACK_API_URL,
      channel: config.SLACK_CHANNEL,
      webUrl: config.VIGIL_PUBLIC_URL,
      logger,
      claimEvent: (eventId) => store.claimSlackEvent(eventId),
      onMention: async (mention) => {
        const existing = await store.findBySlackThread(mention.channel, mention.threadTs);
        if (existing) {
          logger.info({ investigationId: existing.id }, "Mention in a thread that already has an investigation");
          return;
        }
        await intake.accept({
          alert: mention.alert,
          source: "slack",
          dedupeKey: `slack:${mention.channel}:${mention.threadTs}:${mention.alert.fingerprint}`,
          slackChannel: mention.channel,
          slackThreadTs: mention.threadTs,
        });
      },
      onFeedback: async (event) => {
        const ack = await feedback.onFeedback(event);
        if (ack.authorized) await learnFrom(event.investigationId, event.verdict);
        return ack;
      },
      onRealCause: async (event) => {
        const ack = await feedback.onRealCause(event);
        if (ack.authorized)
          await learnFrom(event.investigationId, event.verdict, event.reason, event.realCause?.service);
        return ack;
      },
      findInvestigationByMessage: feedback.findInvestigationByMessage,
      leaderboard: feedback.leaderboard,
    });
    slackClient = slack.app.client;
    if (learning) registerPatternReview(slack.app, learning, logger);
    logger.info({ mode: slack.mode, channel: config.SLACK_CHANNEL }, "Slack connected");
  } else {
    logger.info({}, "Slack not configured (set SLACK_BOT_TOKEN); summaries are kept in the store only");
  }

  const server = new HttpServer(logger);
  server.route(
    "POST",
    "/webhooks/alertmanager",
    alertmanagerWebhookHandler({ intake, maxBytes: config.VIGIL_WEBHOOK_MAX_BYTES, logger, metrics }),
  );
  if (config.VIGIL_CHANGES_TOKEN) {
    server.route(
      "POST",
      "/webhooks/changes",
      changesWebhookHandler({
        store: changeEvents,
        token: config.VIGIL_CHANGES_TOKEN,
        maxBytes: config.VIGIL_WEBHOOK_MAX_BYTES,
      }),
    );
  }
  if (slack?.httpHandler) {
    const handler = slack.httpHandler;
    server.route("POST", "/slack/events", (req, res) => handler(req, res));
  }
  server.route("GET", "/healthz", async (_req, res) => sendJson(res, 200, { status: "ok" }));
  server.route("GET", "/readyz", async (_req, res) => {
    try {
      await db.query("SELECT 1");
      sendJson(res, 200, { status: "ready", store: db.kind });
    } catch (error) {
      sendJson(res, 503, { status: "not ready", error: (error as Error).message });
    }
  });
  server.route("GET", "/metrics", async (_req, res) => {
    metrics.queueDepth.set(await queue.depth().catch(() => 0));
    metrics.oldestJobAge.set(await store.oldestQueuedAgeSeconds().catch(() => 0));
    sendText(res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
  });
  registerWebUi({
    server,
    db,
    store,
    queue,
    config,
    logger,
    recordFeedback: webFeedbackRecorder(feedback),
    strategyStats: feedbackStrategyStats(resultsStrategyStats(db), (alertClass) =>
      leaderboard(db, alertClass, {
        labels: feedbackSettings.classLabels,
        halfLifeDays: feedbackSettings.halfLifeDays,
      }),
    ),
  });

  // An open UI shows alert labels, log lines and queries: without UI auth the daemon binds loopback only.
  const bind = effectiveHost(config);
  if (bind.warning) {
    logger.warn(
      { requestedHost: config.HOST, host: bind.host, hint: bind.warning },
      "Web UI has no authentication: binding loopback only",
    );
  }
  const address = await server.listen(config.PORT, bind.host);
  const url = `http://${address.address.includes(":") ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, store: db.kind }, "Vigil listening");

  const llmConfig = llmConfigFromEnv(process.env);
  const llm = llmConfig ? new LlmClient(llmConfig) : undefined;
  logger.info({ llm: llmConfig ? { model: llmConfig.model } : "off" }, "LLM layer");
  const otlpEndpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  await queue.work(config.VIGIL_CONCURRENCY, (job) =>
    runInvestigation(job.investigationId, {
      store,
      buildTools,
      config,
      logger,
      metrics,
      slack: slack ? { notifier: slack.notifier, channel: config.SLACK_CHANNEL } : undefined,
      llm,
      deadBefore,
      globalConcurrency: config.VIGIL_GLOBAL_CONCURRENCY,
      defer: (investigationId) => queue.enqueueLater(investigationId, 5),
      order,
      adjustCandidates: learning ? (alert, candidates) => learning.adjustCandidates(alert, candidates) : undefined,
      afterComplete: (investigationId, result) =>
        recordQuality(db, { investigationId, result, llm, tenant: config.VIGIL_TENANT }),
      exportTrace: otlpEndpoint
        ? async (trace) => {
            const outcome = await exportTrace(trace, { endpoint: otlpEndpoint });
            if (!outcome.ok) logger.warn({ outcome }, "OTLP export failed");
          }
        : undefined,
    }),
  );
  if (slack) await slack.start();

  await intake
    .recover(0, HEARTBEAT_STALE_MS, deadBefore)
    .catch((error: unknown) => logger.warn({ err: error }, "Recovery sweep failed"));
  const sweep = setInterval(() => {
    intake
      .recover(RECOVERY_AGE_MS, HEARTBEAT_STALE_MS, deadBefore)
      .catch((error: unknown) => logger.warn({ err: error }, "Recovery sweep failed"));
  }, RECOVERY_INTERVAL_MS);
  sweep.unref();

  let stopping: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    stop() {
      stopping ??= (async () => {
        clearInterval(sweep);
        logger.info({}, "Draining: no new work is taken");
        await server.close();
        await slack?.stop().catch(() => undefined);
        await queue.stop().catch((error: unknown) => logger.warn({ err: error }, "Queue stop failed"));
        await db.close();
        logger.info({}, "Stopped");
      })();
      return stopping;
    },
  };
}
