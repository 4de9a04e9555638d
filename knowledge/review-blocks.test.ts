import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Anonymizer } from "./anonymizer.ts";
import type { LearnedPattern } from "./pattern-schema.ts";
import { proposePattern } from "./propose-pattern.ts";
import {
  PATTERN_ACTION_IDS,
  parsePatternAction,
  parsePatternSubmission,
  patternEditModal,
  patternReviewBlocks,
  patternReviewedBlocks,
} from "./review-blocks.ts";
import { sampleResult } from "./sample-investigation.ts";

function pattern(anonymizer: Anonymizer): LearnedPattern {
  const content = proposePattern(sampleResult(), { service: "pricing-db" }, { anonymizer });
  return {
    ...content,
    id: "pat-0123456789",
    status: "proposed",
    occurrences: 1,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
}

describe("knowledge/review-blocks", () => {
  it("asks to remember the pattern with Approve, Edit and Reject carrying the pattern id", () => {
    const anonymizer = new Anonymizer({ key: "k" });

    const blocks = patternReviewBlocks(pattern(anonymizer), anonymizer);

    const text = JSON.stringify(blocks);
    assert.match(text, /Remember this pattern\?/);
    const actions = blocks.find((b) => b.type === "actions") as {
      elements: Array<{ action_id: string; value: string }>;
    };
    assert.deepEqual(
      actions.elements.map((e) => [e.action_id, e.value]),
      [
        [PATTERN_ACTION_IDS.approve, "pat-0123456789"],
        [PATTERN_ACTION_IDS.edit, "pat-0123456789"],
        [PATTERN_ACTION_IDS.reject, "pat-0123456789"],
      ],
    );
    assert.match(text, /svc-[0-9a-f]{6} \(pricing-db\)/, "pseudonyms are shown with their revealed names");
  });

  it("shows only pseudonyms in an install that did not issue them", () => {
    const p = pattern(new Anonymizer({ key: "k" }));

    const text = JSON.stringify(patternReviewBlocks(p, new Anonymizer({ key: "other" })));

    assert.ok(!text.includes("pricing-db"));
  });

  it("renders the decision with the revealed reviewer", () => {
    const anonymizer = new Anonymizer({ key: "k" });
    const reviewed = {
      ...pattern(anonymizer),
      status: "approved" as const,
      reviewedBy: anonymizer.pseudonym("term", "U0ABCDEFG"),
    };

    const text = JSON.stringify(patternReviewedBlocks(reviewed, anonymizer));

    assert.match(text, /Approved by <@U0ABCDEFG>/);
    assert.ok(!text.includes('"actions"'));
  });

  it("parses its own actions and modal submissions, and nothing else", () => {
    const p = pattern(new Anonymizer({ key: "k" }));
    const modal = patternEditModal(p);

    assert.deepEqual(parsePatternAction({ action_id: "vigil_pattern_reject", value: "pat-0123456789" }), {
      action: "reject",
      patternId: "pat-0123456789",
    });
    assert.equal(parsePatternAction({ action_id: "vigil_feedback_correct", value: "x" }), undefined);
    assert.equal(parsePatternAction({ action_id: "vigil_pattern_approve", value: "DROP TABLE" }), undefined);
    assert.deepEqual(
      parsePatternSubmission({
        callback_id: modal.callback_id,
        private_metadata: modal.private_metadata,
        state: { values: { vigil_pattern_description: { description: { value: "new words" } } } },
      }),
      { action: "edit", patternId: "pat-0123456789", text: "new words" },
    );
  });
});
