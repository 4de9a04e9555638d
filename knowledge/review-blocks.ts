/**
 * Slack Block Kit for reviewing a proposed pattern in the investigation's thread: "Remember this pattern?
 * [Approve] [Edit] [Reject]". The pattern is shown as stored (pseudonymized), with the names revealed beside the
 * pseudonyms: this message goes to the customer's own workspace, the install that issued them.
 *
 * @example
 * await client.chat.postMessage({ channel, thread_ts, text: reviewText(pattern), blocks: patternReviewBlocks(pattern, anonymizer) });
 * // on block_actions: const action = parsePatternAction(payload.actions[0]);
 */
import { z } from "zod";
import type { Anonymizer } from "./anonymizer.ts";
import type { LearnedPattern } from "./pattern-schema.ts";
import { describeSignature } from "./propose-pattern.ts";

export const PATTERN_ACTION_IDS = {
  approve: "vigil_pattern_approve",
  edit: "vigil_pattern_edit",
  reject: "vigil_pattern_reject",
} as const;
/** The edit modal's callback id and the ids of its input. */
export const PATTERN_EDIT_CALLBACK_ID = "vigil_pattern_edit_submit";
export const PATTERN_EDIT_BLOCK_ID = "vigil_pattern_description";
export const PATTERN_EDIT_INPUT_ID = "description";
export const PATTERN_REJECT_CALLBACK_ID = "vigil_pattern_reject_submit";
export const PATTERN_REJECT_BLOCK_ID = "vigil_pattern_reason";
export const PATTERN_REJECT_INPUT_ID = "reason";

/** Slack's own limits: a section's text, a button value. */
const MAX_SECTION_TEXT = 3000;

type Block = Record<string, unknown>;

function escapeMrkdwn(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** `svc-7f3a9c (checkout)` within the install; just the pseudonym when it was not issued here. */
export function displayName(anonymizer: Anonymizer, pseudonym: string): string {
  const original = anonymizer.reveal(pseudonym);
  return original ? `${pseudonym} (${original})` : pseudonym;
}

/** A text with every pseudonym followed by its revealed name. */
export function displayText(anonymizer: Anonymizer, text: string): string {
  return text.replace(/\b(?:svc|pod|ns|node|host|cluster|term)-[0-9a-f]{6,12}(?:-[0-9a-f]{6,12})?\b/g, (m) =>
    displayName(anonymizer, m),
  );
}

/** Plain-text fallback for notifications. */
export function reviewText(pattern: LearnedPattern): string {
  return `Remember this pattern? ${pattern.description}`;
}

function patternDetails(pattern: LearnedPattern, anonymizer: Anonymizer): Block[] {
  const lines = [
    `*Alert class:* \`${pattern.alertClass.alertname}\` {${pattern.alertClass.labelKeys.join(", ")}}`,
    `*Symptoms:* ${describeSignature(pattern.signature) || "none recorded"}`,
    `*Root cause:* ${pattern.rootCause.faultClass} in a ${pattern.rootCause.where} service${
      pattern.rootCause.mechanism ? ` (${pattern.rootCause.mechanism})` : ""
    }`,
    `*Found by:* ${pattern.foundBy.strategies.join(", ") || "no strategy"}`,
  ];
  const origin = pattern.origin;
  if (origin?.causeService || origin?.entryService) {
    const parts = [
      origin.entryService ? `alerted ${displayName(anonymizer, origin.entryService)}` : undefined,
      origin.causeService ? `cause ${displayName(anonymizer, origin.causeService)}` : undefined,
    ].filter(Boolean);
    lines.push(`*Seen here:* ${parts.join(", ")}`);
  }
  return [
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: escapeMrkdwn(displayText(anonymizer, lines.join("\n"))).slice(0, MAX_SECTION_TEXT),
      },
    },
    {
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: escapeMrkdwn(
            `${pattern.id} · ${pattern.status} · seen ${pattern.occurrences} time${pattern.occurrences === 1 ? "" : "s"} · stored anonymized; names shown only in this workspace`,
          ),
        },
      ],
    },
  ];
}

/** The review message for a proposed pattern. */
export function patternReviewBlocks(pattern: LearnedPattern, anonymizer: Anonymizer): Block[] {
  return [
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: `*Remember this pattern?*\n${escapeMrkdwn(displayText(anonymizer, pattern.description))}`.slice(
          0,
          MAX_SECTION_TEXT,
        ),
      },
    },
    ...patternDetails(pattern, anonymizer),
    {
      type: "actions",
      block_id: `vigil_pattern_review:${pattern.id}`,
      elements: [
        {
          type: "button",
          action_id: PATTERN_ACTION_IDS.approve,
          style: "primary",
          text: { type: "plain_text", text: "Approve" },
          value: pattern.id,
        },
        {
          type: "button",
          action_id: PATTERN_ACTION_IDS.edit,
          text: { type: "plain_text", text: "Edit" },
          value: pattern.id,
        },
        {
          type: "button",
          action_id: PATTERN_ACTION_IDS.reject,
          style: "danger",
          text: { type: "plain_text", text: "Reject" },
          value: pattern.id,
        },
      ],
    },
  ];
}

/** The message after a decision: same details, buttons replaced by who decided. */
export function patternReviewedBlocks(pattern: LearnedPattern, anonymizer: Anonymizer): Block[] {
  const reviewer = pattern.reviewedBy ? anonymizer.reveal(pattern.reviewedBy) : undefined;
  // Slack user ids render as mentions; anything else is shown as text.
  const who = reviewer ? (/^[UW][A-Z0-9]{6,}$/.test(reviewer) ? `<@${reviewer}>` : escapeMrkdwn(reviewer)) : "someone";
  const verdict =
    pattern.status === "approved" ? "✅ Approved" : pattern.status === "rejected" ? "❌ Rejected" : "✏️ Edited";
  return [
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: `*Pattern ${pattern.status}*\n${escapeMrkdwn(displayText(anonymizer, pattern.description))}`.slice(
          0,
          MAX_SECTION_TEXT,
        ),
      },
    },
    ...patternDetails(pattern, anonymizer),
    { type: "context", elements: [{ type: "mrkdwn", text: `${verdict} by ${who}` }] },
  ];
}

/** The modal the Edit button opens: the description, prefilled as stored. */
export function patternEditModal(pattern: LearnedPattern): Record<string, unknown> {
  return {
    type: "modal",
    callback_id: PATTERN_EDIT_CALLBACK_ID,
    private_metadata: pattern.id,
    title: { type: "plain_text", text: "Edit pattern" },
    submit: { type: "plain_text", text: "Save" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "input",
        block_id: PATTERN_EDIT_BLOCK_ID,
        label: { type: "plain_text", text: "Description (names are anonymized again on save)" },
        element: {
          type: "plain_text_input",
          action_id: PATTERN_EDIT_INPUT_ID,
          multiline: true,
          max_length: 1000,
          initial_value: pattern.description,
        },
      },
    ],
  };
}

/** The optional-reason modal the Reject button may open. */
export function patternRejectModal(pattern: LearnedPattern): Record<string, unknown> {
  return {
    type: "modal",
    callback_id: PATTERN_REJECT_CALLBACK_ID,
    private_metadata: pattern.id,
    title: { type: "plain_text", text: "Reject pattern" },
    submit: { type: "plain_text", text: "Reject" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "input",
        block_id: PATTERN_REJECT_BLOCK_ID,
        optional: true,
        label: { type: "plain_text", text: "Why? (optional)" },
        element: { type: "plain_text_input", action_id: PATTERN_REJECT_INPUT_ID, max_length: 500 },
      },
    ],
  };
}

const actionSchema = z.object({
  action_id: z.enum([PATTERN_ACTION_IDS.approve, PATTERN_ACTION_IDS.edit, PATTERN_ACTION_IDS.reject]),
  value: z.string().regex(/^pat-[0-9a-f]{6,32}$/),
});

export interface PatternAction {
  action: "approve" | "edit" | "reject";
  patternId: string;
}

/** A block action from the review message, or undefined when it is not one of ours (or malformed). */
export function parsePatternAction(action: unknown): PatternAction | undefined {
  const parsed = actionSchema.safeParse(action);
  if (!parsed.success) return undefined;
  const kind =
    parsed.data.action_id === PATTERN_ACTION_IDS.approve
      ? "approve"
      : parsed.data.action_id === PATTERN_ACTION_IDS.edit
        ? "edit"
        : "reject";
  return { action: kind, patternId: parsed.data.value };
}

const viewSubmissionSchema = z.object({
  callback_id: z.enum([PATTERN_EDIT_CALLBACK_ID, PATTERN_REJECT_CALLBACK_ID]),
  private_metadata: z.string().regex(/^pat-[0-9a-f]{6,32}$/),
  state: z.object({
    values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
  }),
});

/** The edit or reject modal's submission: which pattern, and the text typed. */
export function parsePatternSubmission(
  view: unknown,
): { action: "edit" | "reject"; patternId: string; text?: string } | undefined {
  const parsed = viewSubmissionSchema.safeParse(view);
  if (!parsed.success) return undefined;
  const edit = parsed.data.callback_id === PATTERN_EDIT_CALLBACK_ID;
  const block = parsed.data.state.values[edit ? PATTERN_EDIT_BLOCK_ID : PATTERN_REJECT_BLOCK_ID];
  const text = block?.[edit ? PATTERN_EDIT_INPUT_ID : PATTERN_REJECT_INPUT_ID]?.value ?? undefined;
  return { action: edit ? "edit" : "reject", patternId: parsed.data.private_metadata, ...(text ? { text } : {}) };
}
