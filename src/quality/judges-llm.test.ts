import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LlmClient } from "../../agents/llm/client.ts";
import { parseLlmConfig } from "../../agents/llm/config.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../../test/fakes/openai-server.ts";
import { CRITERIA, judgeInvestigation } from "./judges.ts";
import { goodResult } from "./test-results.ts";

describe("src/quality/judges (LLM criteria)", () => {
  let llm: FakeOpenAI;
  let client: LlmClient;
  before(async () => {
    llm = await startFakeOpenAI();
    client = new LlmClient(
      parseLlmConfig({
        baseURL: llm.baseURL,
        model: "vigil-test-model",
        timeoutMs: 2000,
        inputCostPerMTok: 1,
        outputCostPerMTok: 2,
      }),
    );
  });
  after(() => llm.stop());

  it("asks each question with structured output at temperature 0 and keeps the verdict with its quotes", async () => {
    llm.push(
      {
        expectJsonSchema: true,
        json: { verdict: "yes", reason: "acts on payments, the cause", quotes: ["Inspect payments: error rate up"] },
        usage: { prompt_tokens: 400, completion_tokens: 30 },
      },
      {
        expectJsonSchema: true,
        json: { verdict: "no", reason: "headline restates the alert", quotes: ["an invented quote"] },
        usage: { prompt_tokens: 380, completion_tokens: 25 },
      },
    );
    const sent = llm.chatRequests.length;

    const judgment = await judgeInvestigation(goodResult(), { llm: client });

    const nextStep = judgment.criteria.find((c) => c.id === CRITERIA.llmNextStep);
    const headline = judgment.criteria.find((c) => c.id === CRITERIA.llmHeadline);
    assert.equal(nextStep?.passed, true);
    assert.deepEqual(nextStep?.evidence, ["Inspect payments: error rate up"]);
    assert.equal(headline?.passed, null, "a verdict whose only quote is not in the material is not trusted");
    const requests = llm.chatRequests.slice(sent);
    assert.equal(requests.length, 2);
    for (const r of requests) {
      assert.equal(r.body.temperature, 0);
      assert.equal((r.body.response_format as { type: string }).type, "json_schema");
    }
    assert.match(JSON.stringify(requests[0]?.body.messages), /<evidence source=\\"golden-signals-1\\"/);
    // The judge's usage is its own; the investigation's client ledger and result are untouched.
    assert.deepEqual(
      { tokens: (judgment.judge.usage?.promptTokens ?? 0) + (judgment.judge.usage?.completionTokens ?? 0) },
      { tokens: 835 },
    );
    assert.ok(Math.abs((judgment.judge.usage?.costUsd ?? 0) - (780 * 1 + 55 * 2) / 1e6) < 1e-12);
    assert.equal(client.usage().calls, 0);
    assert.equal(judgment.judge.model, "vigil-test-model");
  });

  it("marks a criterion not judged when the judge answers malformed JSON, and leaves the investigation as it was", async () => {
    llm.push({ content: "{ verdict: yes, this is not json" }, { malformed: true });
    const result = goodResult();
    const before = structuredClone(result);

    const judgment = await judgeInvestigation(result, { llm: client });

    const llmCriteria = judgment.criteria.filter((c) => c.id.startsWith("llm-"));
    assert.deepEqual(
      llmCriteria.map((c) => c.passed),
      [null, null],
    );
    assert.match(llmCriteria[0]?.reason ?? "", /^not judged: malformed/);
    assert.deepEqual(result, before);
    // The deterministic checklist still ran.
    assert.equal(judgment.criteria.find((c) => c.id === CRITERIA.namesComponent)?.passed, true);
  });

  it("marks a criterion not judged when the endpoint fails", async () => {
    llm.push({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });

    const judgment = await judgeInvestigation(goodResult(), { llm: client });

    const llmCriteria = judgment.criteria.filter((c) => c.id.startsWith("llm-"));
    assert.deepEqual(
      llmCriteria.map((c) => c.passed),
      [null, null],
    );
    assert.match(llmCriteria[0]?.reason ?? "", /not judged: http/);
  });
});
