import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { webhookChangesBodySchema } from "../../tools/changes/webhook-changes.ts";
import { sendJson } from "../server/http-server.ts";
import { BodyTooLargeError, readBody } from "../server/read-body.ts";
import type { ChangeEventStore } from "../store/change-events.ts";

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, "") ?? "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * POST /webhooks/changes: CI/CD reports deploys and config changes so investigations can correlate them. Requires
 * `Authorization: Bearer <VIGIL_CHANGES_TOKEN>`; the body is one change, an array, or `{changes: [...]}`.
 */
export function changesWebhookHandler(deps: { store: ChangeEventStore; token: string; maxBytes: number }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!tokenMatches(req.headers.authorization, deps.token)) {
      sendJson(res, 401, { error: "missing or wrong bearer token" });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, deps.maxBytes)).toString("utf8"));
    } catch (error) {
      if (error instanceof BodyTooLargeError) sendJson(res, 413, { error: error.message });
      else sendJson(res, 400, { error: `body is not valid JSON: ${(error as Error).message.slice(0, 200)}` });
      return;
    }
    const parsed = webhookChangesBodySchema.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
      sendJson(res, 422, { error: "not a change event", issues });
      return;
    }
    await deps.store.add(parsed.data);
    sendJson(res, 202, { accepted: parsed.data.length });
  };
}
