import type { IncomingMessage, ServerResponse } from "node:http";
import { webhookPayloadSchema } from "../../tools/alertmanager/schema.ts";
import type { Logger } from "../logger.ts";
import { sendJson } from "../server/http-server.ts";
import { BodyTooLargeError, readBody } from "../server/read-body.ts";
import type { DaemonMetrics } from "../telemetry/metrics.ts";
import type { Intake } from "./intake.ts";
import { AlertValidationError, normalizeWebhookAlert } from "./normalize-alert.ts";

/**
 * POST /webhooks/alertmanager: validate, persist and enqueue each firing alert before answering, so a 2xx means
 * the alert is stored. Bad input gets a 4xx that says what is wrong.
 */
export function alertmanagerWebhookHandler(deps: {
  intake: Intake;
  maxBytes: number;
  logger: Logger;
  metrics: DaemonMetrics;
}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const contentType = req.headers["content-type"] ?? "";
    if (contentType && !contentType.includes("json")) {
      sendJson(res, 415, { error: `content-type must be application/json, got ${contentType.slice(0, 100)}` });
      return;
    }
    let raw: Buffer;
    try {
      raw = await readBody(req, deps.maxBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        deps.metrics.alertsReceived.inc({ source: "alertmanager", result: "invalid" });
        sendJson(res, 413, { error: error.message });
        return;
      }
      throw error;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch (error) {
      deps.metrics.alertsReceived.inc({ source: "alertmanager", result: "invalid" });
      sendJson(res, 400, { error: `body is not valid JSON: ${(error as Error).message.slice(0, 200)}` });
      return;
    }
    const parsed = webhookPayloadSchema.safeParse(body);
    if (!parsed.success) {
      deps.metrics.alertsReceived.inc({ source: "alertmanager", result: "invalid" });
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
      sendJson(res, 422, { error: "not an Alertmanager webhook payload", issues });
      return;
    }
    const results: Array<{ fingerprint: string; investigationId?: string; status: string; error?: string }> = [];
    for (const raw of parsed.data.alerts) {
      if (raw.status !== "firing") {
        deps.metrics.alertsReceived.inc({ source: "alertmanager", result: "resolved" });
        results.push({ fingerprint: raw.fingerprint ?? "", status: "ignored-resolved" });
        continue;
      }
      try {
        const alert = normalizeWebhookAlert(raw);
        // Related alerts: the same service, else the same Alertmanager notification group.
        const groupKey = alert.service
          ? `service:${alert.service}`
          : parsed.data.groupKey
            ? `group:${parsed.data.groupKey}`
            : undefined;
        const outcome = await deps.intake.accept({ alert, source: "alertmanager", groupKey });
        results.push({
          fingerprint: alert.fingerprint,
          investigationId: outcome.investigationId,
          status: outcome.created ? "accepted" : outcome.outcome,
        });
      } catch (error) {
        if (!(error instanceof AlertValidationError)) throw error;
        deps.metrics.alertsReceived.inc({ source: "alertmanager", result: "invalid" });
        results.push({ fingerprint: raw.fingerprint ?? "", status: "invalid", error: error.message });
      }
    }
    const anyInvalid = results.some((r) => r.status === "invalid");
    const allInvalid = results.length > 0 && results.every((r) => r.status === "invalid");
    deps.logger.info({ count: results.length, anyInvalid }, "Alertmanager webhook received");
    sendJson(res, allInvalid ? 422 : 202, { alerts: results });
  };
}
