/**
 * The web UI and its JSON API, mounted on the daemon's HTTP server. Every route here is behind the UI auth guard
 * (src/server/auth.ts); webhooks, Slack events, health and metrics are mounted by the daemon and are not.
 *
 * @example
 * registerWebUi({ server, db, store, queue, config, logger });
 */

import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { z } from "zod";
import type { Config } from "../config.ts";
import { compareRuns } from "../eval/compare.ts";
import type { FeedbackService } from "../feedback/feedback-service.ts";
import type { Logger } from "../logger.ts";
import { insights } from "../quality/clusters.ts";
import { FacetStore } from "../quality/facets.ts";
import { JudgeStore } from "../quality/judge-store.ts";
import type { InvestigationQueue } from "../queue/queue.ts";
import { type AuthAccepted, createAuthGuard, TOKEN_QUERY_PARAM } from "../server/auth.ts";
import type { HttpServer } from "../server/http-server.ts";
import { type RouteHandler, sendJson } from "../server/http-server.ts";
import { readBody } from "../server/read-body.ts";
import type { Db } from "../store/db.ts";
import type { InvestigationStore } from "../store/investigations.ts";
import { html, internalHref } from "./html.ts";
import { renderInvestigationPage } from "./investigation-page.ts";
import { renderInvestigationsPage } from "./investigations-page.ts";
import { layout, newNonce, sendHtml } from "./layout.ts";
import { renderComparisonPage, renderInsightsPage, renderJudgments } from "./quality-pages.ts";

const webFeedbackSchema = z.object({
  verdict: z.enum(["correct", "partial", "wrong"]),
  service: z.string().min(1).max(200),
  strategy: z.string().max(200).default(""),
});

import {
  filterValues,
  type InvestigationStatusView,
  investigationStatus,
  listInvestigations,
  listQuerySchema,
} from "./queries.ts";
import { renderStrategiesPage } from "./strategies-page.ts";
import { resultsStrategyStats, type StrategyStatsSource } from "./strategy-stats.ts";

export interface WebUiDeps {
  server: HttpServer;
  db: Db;
  store: InvestigationStore;
  queue: InvestigationQueue;
  config: Config;
  logger: Logger;
  /** Where the leaderboard comes from; default: computed from stored results. */
  strategyStats?: StrategyStatsSource;
  /** Records per-hypothesis feedback from the investigation page (the person is the authenticated UI user). */
  recordFeedback?: (input: WebFeedback) => Promise<void>;
}

/** A verdict on one hypothesis, given on the investigation page. */
export interface WebFeedback {
  investigationId: string;
  verdict: "correct" | "partial" | "wrong";
  user: string;
  strategy: string;
  service: string;
}

/** `recordFeedback` through the feedback service: a web user's verdict on one strategy's hypothesis. */
export function webFeedbackRecorder(feedback: Pick<FeedbackService, "record">): (input: WebFeedback) => Promise<void> {
  return async (input) => {
    await feedback.record({
      investigationId: input.investigationId,
      verdict: input.verdict,
      user: `web:${input.user}`,
      source: "web",
      target: { strategy: input.strategy || "any", service: input.service },
    });
  };
}

/** How often the live progress stream re-reads the investigation's status. */
const EVENTS_POLL_MS = 500;
/** Comment lines keep proxies from closing an idle stream. */
const EVENTS_HEARTBEAT_MS = 15_000;
/** A stream never outlives this, so a forgotten tab cannot hold a connection forever. */
const EVENTS_MAX_MS = 60 * 60_000;
const MAX_ID_LENGTH = 200;

type GuardedHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
  auth: AuthAccepted,
) => Promise<void>;

function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? "/", "http://localhost");
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { ...headers, location: internalHref(location), "content-length": 0 });
  res.end();
}

/** Mount the web UI and the JSON API on the daemon's server. */
export function registerWebUi(deps: WebUiDeps): void {
  const { server, db, store, config, logger } = deps;
  const guard = createAuthGuard(config);
  const strategyStats = deps.strategyStats ?? resultsStrategyStats(db);
  const judges = new JudgeStore(db);
  /** An investigation by the id in a URL; an absurdly long id is no id at all, not a query. */
  const findRecord = async (id: string) => (id.length <= MAX_ID_LENGTH ? await store.get(id) : undefined);

  function guarded(kind: "page" | "api", handler: GuardedHandler): RouteHandler {
    return async (req, res, params) => {
      res.setHeader("x-content-type-options", "nosniff");
      res.setHeader("referrer-policy", "no-referrer");
      res.setHeader("cache-control", "no-store");
      const outcome = guard(req);
      if (!outcome.ok) {
        logger.debug({ path: requestUrl(req).pathname, status: outcome.status }, "Web UI request not authenticated");
        if (kind === "api") {
          for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
          sendJson(res, outcome.status, { error: outcome.message });
          return;
        }
        const nonce = newNonce();
        sendHtml(
          res,
          outcome.status,
          layout(
            { title: "Sign in", nonce },
            html`<h1>Authentication required</h1><p class="muted">${outcome.message}</p>`,
          ),
          nonce,
          outcome.headers,
        );
        return;
      }
      if (outcome.setCookie) {
        // The token came in the URL: keep it in a cookie and send the browser to the same page without it, so the
        // token does not stay in the address bar, the history or a screenshot.
        const url = requestUrl(req);
        if (kind === "page" && req.method === "GET") {
          url.searchParams.delete(TOKEN_QUERY_PARAM);
          redirect(res, `${url.pathname}${url.search}`, { "set-cookie": outcome.setCookie });
          return;
        }
        res.setHeader("set-cookie", outcome.setCookie);
      }
      await handler(req, res, params, outcome);
    };
  }

  function notFoundPage(res: ServerResponse, message: string, user: string): void {
    const nonce = newNonce();
    sendHtml(
      res,
      404,
      layout(
        { title: "Not found", nonce, user },
        html`<h1>Not found</h1><p>${message}</p><p><a href="/ui/investigations">All investigations</a></p>`,
      ),
      nonce,
    );
  }

  server.route(
    "GET",
    "/",
    guarded("page", async (_req, res) => redirect(res, "/ui/investigations")),
  );
  server.route(
    "GET",
    "/ui",
    guarded("page", async (_req, res) => redirect(res, "/ui/investigations")),
  );
  // Slack summaries link to `${VIGIL_PUBLIC_URL}/investigations/<id>`.
  server.route(
    "GET",
    "/investigations/:id",
    guarded("page", async (_req, res, params) =>
      redirect(res, `/ui/investigations/${encodeURIComponent(params.id ?? "")}`),
    ),
  );

  server.route(
    "GET",
    "/ui/investigations",
    guarded("page", async (req, res, _params, auth) => {
      const nonce = newNonce();
      const parsed = listQuerySchema.safeParse(Object.fromEntries(requestUrl(req).searchParams));
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
        sendHtml(
          res,
          400,
          layout(
            { title: "Investigations", nonce, active: "investigations", user: auth.user },
            html`<h1>Investigations</h1><div class="panel error-text">Invalid filter: ${issues.join("; ")}</div><p><a href="/ui/investigations">Clear filters</a></p>`,
          ),
          nonce,
        );
        return;
      }
      const [page, filters] = await Promise.all([listInvestigations(db, parsed.data), filterValues(db)]);
      sendHtml(
        res,
        200,
        layout(
          { title: "Investigations", nonce, active: "investigations", user: auth.user },
          renderInvestigationsPage({ page, query: parsed.data, filters }),
        ),
        nonce,
      );
    }),
  );

  server.route(
    "GET",
    "/ui/investigations/:id",
    guarded("page", async (_req, res, params, auth) => {
      const id = params.id ?? "";
      const record = await findRecord(id);
      if (!record) {
        notFoundPage(res, `No investigation ${id}.`, auth.user);
        return;
      }
      const nonce = newNonce();
      sendHtml(
        res,
        200,
        layout(
          { title: record.alertname, nonce, active: "investigations", user: auth.user },
          html`${renderInvestigationPage(record, nonce)}${
            record.status === "done"
              ? renderJudgments(
                  await judges.get(record.id).catch(() => undefined),
                  await judges.agreements().catch(() => []),
                )
              : ""
          }`,
        ),
        nonce,
      );
    }),
  );

  server.route(
    "POST",
    "/ui/investigations/:id/feedback",
    guarded("page", async (req, res, params, auth) => {
      const id = params.id ?? "";
      const record = await findRecord(id);
      if (!record || !deps.recordFeedback) {
        notFoundPage(res, record ? "Feedback is not enabled on this daemon." : `No investigation ${id}.`, auth.user);
        return;
      }
      const form = new URLSearchParams((await readBody(req, 4096)).toString("utf8"));
      const parsed = webFeedbackSchema.safeParse(Object.fromEntries(form));
      const known = record.result?.candidates.some((c) => c.service === parsed.data?.service);
      if (!parsed.success || !known) {
        notFoundPage(res, "That is not a hypothesis of this investigation.", auth.user);
        return;
      }
      await deps.recordFeedback({ investigationId: id, user: auth.user, ...parsed.data });
      redirect(res, `/ui/investigations/${encodeURIComponent(id)}`);
    }),
  );

  server.route(
    "GET",
    "/ui/insights",
    guarded("page", async (_req, res, _params, auth) => {
      const nonce = newNonce();
      const since = new Date(Date.now() - 30 * 86_400_000);
      const report = await insights(await new FacetStore(db).list({ since }), {
        viewerTenant: config.VIGIL_TENANT,
      });
      sendHtml(
        res,
        200,
        layout({ title: "Insights", nonce, active: "insights", user: auth.user }, renderInsightsPage(report)),
        nonce,
      );
    }),
  );

  server.route(
    "GET",
    "/ui/compare",
    guarded("page", async (req, res, _params, auth) => {
      const nonce = newNonce();
      const url = requestUrl(req);
      const before = url.searchParams.get("before") ?? "";
      const after = url.searchParams.get("after") ?? "";
      const root = config.VIGIL_EVAL_DIR;
      const runName = /^[A-Za-z0-9._-]{1,100}$/;
      if (!root || !runName.test(before) || !runName.test(after) || before.startsWith(".") || after.startsWith(".")) {
        notFoundPage(
          res,
          root
            ? "Name two runs: /ui/compare?before=RUN&after=RUN (directories of VIGIL_EVAL_DIR written by vigil eval --out)."
            : "Set VIGIL_EVAL_DIR to the directory where `vigil eval --out DIR/RUN` writes its runs.",
          auth.user,
        );
        return;
      }
      try {
        const afterDir = join(root, after);
        const run = JSON.parse(readFileSync(join(afterDir, "run.json"), "utf8")) as { answersDir: string };
        const comparison = compareRuns(join(root, before), afterDir, run.answersDir);
        sendHtml(
          res,
          200,
          layout(
            { title: "Compare eval runs", nonce, user: auth.user },
            renderComparisonPage(comparison, { before, after }),
          ),
          nonce,
        );
      } catch (error) {
        notFoundPage(res, `Cannot compare ${before} and ${after}: ${(error as Error).message}`, auth.user);
      }
    }),
  );

  server.route(
    "GET",
    "/ui/strategies",
    guarded("page", async (_req, res, _params, auth) => {
      const nonce = newNonce();
      const classes = await strategyStats.leaderboard();
      sendHtml(
        res,
        200,
        layout(
          { title: "Strategies", nonce, active: "strategies", user: auth.user },
          renderStrategiesPage(classes, strategyStats.description),
        ),
        nonce,
      );
    }),
  );

  server.route(
    "GET",
    "/api/investigations",
    guarded("api", async (req, res) => {
      const parsed = listQuerySchema.safeParse(Object.fromEntries(requestUrl(req).searchParams));
      if (!parsed.success) {
        sendJson(res, 400, {
          error: "invalid query parameters",
          issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
        });
        return;
      }
      const page = await listInvestigations(db, parsed.data);
      sendJson(res, 200, {
        investigations: page.items,
        total: page.total,
        page: page.page,
        pageSize: page.pageSize,
        pages: page.pages,
      });
    }),
  );

  server.route(
    "GET",
    "/api/investigations/:id",
    guarded("api", async (_req, res, params) => {
      const id = params.id ?? "";
      const record = await findRecord(id);
      if (!record) sendJson(res, 404, { error: `no investigation ${id}` });
      else sendJson(res, 200, record);
    }),
  );

  server.route(
    "GET",
    "/api/investigations/:id/events",
    guarded("api", async (_req, res, params) => {
      const id = params.id ?? "";
      const first = id.length <= MAX_ID_LENGTH ? await investigationStatus(db, id) : undefined;
      if (!first) {
        sendJson(res, 404, { error: `no investigation ${id}` });
        return;
      }
      streamStatus(res, first);
    }),
  );

  server.route(
    "GET",
    "/api/strategies",
    guarded("api", async (_req, res) => {
      const classes = await strategyStats.leaderboard();
      sendJson(res, 200, { source: strategyStats.description, alertClasses: classes });
    }),
  );

  /**
   * Server-sent events: one `status` event now and one per change, until the investigation is done or failed,
   * the client goes away, or the stream reaches its maximum age.
   */
  function streamStatus(res: ServerResponse, first: InvestigationStatusView): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      // nginx buffers responses by default, which would hold every event back until the stream ends.
      "x-accel-buffering": "no",
    });
    let last = "";
    let closed = false;
    let polling = false;
    const send = (view: InvestigationStatusView | undefined) => {
      if (!view || closed) return;
      const data = JSON.stringify(view);
      if (data === last) return;
      last = data;
      res.write(`event: status\ndata: ${data}\n\n`);
      if (view.status === "done" || view.status === "failed") stop();
    };
    const poll = setInterval(() => {
      if (polling || closed) return;
      polling = true;
      investigationStatus(db, first.id)
        .then(send)
        .catch((error: unknown) => logger.warn({ err: error, investigationId: first.id }, "Status poll failed"))
        .finally(() => {
          polling = false;
        });
    }, EVENTS_POLL_MS);
    const heartbeat = setInterval(() => {
      if (!closed) res.write(": keep-alive\n\n");
    }, EVENTS_HEARTBEAT_MS);
    const maxAge = setTimeout(() => stop(), EVENTS_MAX_MS);
    function stop() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      clearInterval(heartbeat);
      clearTimeout(maxAge);
      res.end();
    }
    // Not req "close": since Node 16 it fires once the request body is read, which for a GET is at once.
    res.on("close", stop);
    send(first);
  }
}
