import type { App } from "@slack/bolt";
import type { Logger } from "pino";
import {
  PATTERN_ACTION_IDS,
  PATTERN_EDIT_CALLBACK_ID,
  PATTERN_REJECT_CALLBACK_ID,
  parsePatternAction,
  parsePatternSubmission,
  patternEditModal,
} from "../../knowledge/review-blocks.ts";
import type { Learning } from "../learning.ts";

/**
 * "Remember this pattern? [Approve] [Edit] [Reject]": the buttons under a proposed pattern and the edit modal.
 * The decision is recorded by knowledge/ through `learning`; this module only routes Slack's payloads.
 */
export function registerPatternReview(app: App, learning: Learning, logger: Logger): void {
  for (const actionId of Object.values(PATTERN_ACTION_IDS)) {
    app.action(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const parsed = parsePatternAction(action);
      const user = body.user.id;
      const channel = (body as { channel?: { id?: string } }).channel?.id;
      const ts = (body as { message?: { ts?: string } }).message?.ts;
      if (!parsed) return;
      try {
        if (parsed.action === "edit") {
          const pattern = await learning.get(parsed.patternId);
          const triggerId = (body as { trigger_id?: string }).trigger_id;
          if (pattern && triggerId)
            await client.views.open({ trigger_id: triggerId, view: patternEditModal(pattern) as never });
          return;
        }
        const message =
          parsed.action === "approve"
            ? await learning.approve(parsed.patternId, user)
            : await learning.reject(parsed.patternId, user);
        if (channel && ts)
          await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks as never });
      } catch (error) {
        logger.warn({ err: error, patternId: parsed.patternId }, "Pattern review failed");
      }
    });
  }
  for (const callbackId of [PATTERN_EDIT_CALLBACK_ID, PATTERN_REJECT_CALLBACK_ID]) {
    app.view(callbackId, async ({ ack, body, view }) => {
      await ack();
      const submission = parsePatternSubmission(view);
      if (!submission) return;
      try {
        if (submission.action === "edit" && submission.text) {
          await learning.edit(submission.patternId, submission.text, body.user.id);
        } else if (submission.action === "reject") {
          await learning.reject(submission.patternId, body.user.id, submission.text);
        }
      } catch (error) {
        logger.warn({ err: error, patternId: submission.patternId }, "Pattern review failed");
      }
    });
  }
}
