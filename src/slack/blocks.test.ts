import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ALERT_METADATA_EVENT_TYPE,
  FEEDBACK_CORRECT_ACTION_ID,
  FEEDBACK_PARTIAL_ACTION_ID,
  FEEDBACK_WRONG_ACTION_ID,
  renderAlertMessage,
  renderRunning,
  renderSummary,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
} from "./blocks.ts";
import { testAlert, testEvidence, testResult } from "./test-fixtures.ts";

function allText(message: SlackMessage): string {
  return JSON.stringify(message.blocks);
}

function actionsBlock(message: SlackMessage) {
  const block = message.blocks.find((b) => b.type === "actions");
  assert.ok(block && block.type === "actions", "expected an actions block");
  return block;
}

function evidenceSection(message: SlackMessage): string {
  for (const block of message.blocks) {
    if (block.type === "section" && block.text?.text.startsWith("*Evidence*")) return block.text.text;
    if (block.type === "section" && block.text?.text.startsWith("*Closest evidence*")) return block.text.text;
  }
  assert.fail("no evidence section");
}

function assertWithinLimits(blocks: SlackBlock[]): void {
  assert.ok(blocks.length <= SLACK_LIMITS.blocks);
  for (const block of blocks) {
    if (block.type === "section" && block.text) assert.ok(block.text.text.length <= SLACK_LIMITS.sectionText);
    if (block.type === "header") assert.ok(block.text.text.length <= SLACK_LIMITS.headerText);
  }
}

describe("slack/blocks renderSummary", () => {
  it("carries the three feedback buttons whose value is the investigation id", () => {
    const message = renderSummary(testResult(), "inv-42");

    const actions = actionsBlock(message);
    const buttons = actions.elements.map((e) => (e.type === "button" ? [e.action_id, e.value] : []));
    assert.deepEqual(buttons, [
      [FEEDBACK_CORRECT_ACTION_ID, "inv-42"],
      [FEEDBACK_PARTIAL_ACTION_ID, "inv-42"],
      [FEEDBACK_WRONG_ACTION_ID, "inv-42"],
    ]);
    assert.match(JSON.stringify(actions), /Not quite/);
  });

  it("shows headline, likely cause with confidence and why not higher, ruled out and next steps", () => {
    const message = renderSummary(testResult(), "inv-42");

    const header = message.blocks[0];
    assert.equal(header?.type, "header");
    const text = allText(message);
    assert.match(text, /checkout is slow because cartservice is running out of memory/);
    assert.match(text, /Likely cause\* \(confidence 72%\)/);
    assert.match(text, /Why not higher:_ no trace data for the window; only one strategy saw the restarts/);
    assert.match(text, /Ruled out\*\\n• database: connection pool normal/);
    assert.match(text, /Next steps\*\\n• Check the cartservice memory limit/);
    assert.match(message.text, /likely cause: cartservice memory exhaustion.*72%/);
  });

  it("links evidence that has a link and shows the ref in code otherwise", () => {
    const section = evidenceSection(renderSummary(testResult(), "inv-42"));

    assert.match(section, /• <http:\/\/grafana\.example\/explore\?q=1\|cartservice p90 latency 0\.41 s vs 0\.02 s>/);
    assert.match(
      section,
      /• 5xx rate of cartservice `rate\(http_requests_total\{service="cartservice",code=~"5\.\."\}\[5m\]\) #ev-2`/,
    );
    assert.match(section, /• cartservice OOMKilled 3 times `Pod shop\/cartservice-7d9f`/);
  });

  it("caps evidence at five bullets", () => {
    const evidence = Array.from({ length: 9 }, (_, i) => testEvidence(`ev-${i}`));
    const result = testResult();
    const [top] = result.candidates;
    assert.ok(top);
    result.candidates[0] = { ...top, evidence };
    result.summary.evidence = evidence.map((e) => ({ text: e.summary, evidenceId: e.id }));

    const section = evidenceSection(renderSummary(result, "inv-1"));

    assert.equal(section.split("\n• ").length - 1, 5);
  });

  it("pads a single cited evidence with the top candidate's to reach two bullets", () => {
    const result = testResult();
    result.summary.evidence = [{ text: "only one", evidenceId: "ev-1" }];

    const section = evidenceSection(renderSummary(result, "inv-1"));

    assert.equal(section.split("\n• ").length - 1, 2);
    assert.match(section, /evidence ev-2/);
  });

  it("escapes Slack control characters from evidence text and keeps links intact", () => {
    const result = testResult();
    result.summary.evidence = [{ text: "latency > 1s & <b>", evidenceId: "ev-2" }];
    result.summary.headline = "x";

    const section = evidenceSection(renderSummary(result, "inv-1"));

    assert.match(section, /latency &gt; 1s &amp; &lt;b&gt;/);
  });

  it("renders an abstained result quietly with the strongest lead and what was checked", () => {
    const result = testResult({ abstained: true, confidence: 0.31 });
    result.summary = { ...result.summary, likelyCause: undefined, confidence: 0.31 };

    const message = renderSummary(result, "inv-7");

    const text = allText(message);
    assert.equal(
      message.blocks.some((b) => b.type === "header"),
      false,
      "abstain has no loud header",
    );
    assert.match(text, /No conclusive cause\* for \*HighLatency\*/);
    assert.match(text, /Strongest lead: memory exhaustion in cartservice \(confidence 31%/);
    assert.match(text, /What I checked\*\\n• \*k8s-health\*: pods in shop, events/);
    assert.match(text, /could not read: tempo/);
    assert.doesNotMatch(text, /Likely cause\*/);
    assert.equal(actionsBlock(message).elements.length, 3);
    assert.match(
      message.text,
      /^No conclusive cause for HighLatency\. Strongest lead: memory exhaustion in cartservice/,
    );
  });

  it("stays within Slack's limits with huge inputs", () => {
    const result = testResult();
    result.summary.headline = "h".repeat(500);
    result.summary.whatIsGoingOn = "w".repeat(10_000);
    result.summary.nextSteps = Array.from({ length: 200 }, (_, i) => `step ${i} ${"s".repeat(100)}`);
    result.summary.ruledOut = Array.from({ length: 200 }, (_, i) => `ruled ${i}`);

    const message = renderSummary(result, "inv-1");

    assertWithinLimits(message.blocks);
    assert.ok(message.text.length <= SLACK_LIMITS.fallbackText);
    assert.match(allText(message), /…and \d+ more/);
  });

  it("links the investigation to the web UI when a web URL is configured", () => {
    const message = renderSummary(testResult(), "inv-42", { webUrl: "https://vigil.example.com/" });

    assert.match(allText(message), /<https:\/\/vigil\.example\.com\/investigations\/inv-42\|inv-42>/);
  });
});

describe("slack/blocks renderAlertMessage", () => {
  it("puts the alert identity in vigil_alert metadata", () => {
    const alert = testAlert();

    const message = renderAlertMessage(alert);

    assert.equal(message.metadata?.event_type, ALERT_METADATA_EVENT_TYPE);
    assert.equal(message.metadata?.event_payload.fingerprint, alert.fingerprint);
    assert.equal(message.metadata?.event_payload.alertname, "HighLatency");
    assert.deepEqual(message.metadata?.event_payload.labels, alert.labels);
    assert.equal(message.metadata?.event_payload.startsAt, alert.startsAt);
    assert.match(message.text, /^\[FIRING\] HighLatency — p90 latency of checkout above 500ms/);
    assert.match(allText(message), /`service=checkout`/);
  });
});

describe("slack/blocks renderRunning", () => {
  it("shows strategy progress and the note", () => {
    const message = renderRunning(testAlert(), { strategiesDone: 2, strategiesTotal: 5, note: "querying Loki" });

    const text = allText(message);
    assert.match(text, /Investigating \*HighLatency\* on \*checkout\*/);
    assert.match(text, /2\/5 strategies done/);
    assert.match(text, /querying Loki/);
    assert.equal(
      message.blocks.some((b) => b.type === "actions"),
      false,
      "no feedback before the result",
    );
  });

  it("clamps nonsense progress numbers", () => {
    const message = renderRunning(testAlert(), { strategiesDone: 9, strategiesTotal: 3 });

    assert.match(allText(message), /3\/3 strategies done/);
  });
});
