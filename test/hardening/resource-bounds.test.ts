import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { investigate } from "../../agents/investigate/investigate.ts";
import { LlmClient } from "../../agents/llm/client.ts";
import { parseLlmConfig } from "../../agents/llm/config.ts";
import { STRATEGIES, type StrategyDefinition } from "../../agents/strategies/registry.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-server.ts";
import {
  type Backend,
  type Backends,
  closeProxies,
  ENVELOPE_TIMEOUT_MS,
  frontendAlert,
  liveTools,
  startBackends,
  startExplorerModel,
  startProxies,
} from "./backends.ts";
import type { FaultProxy } from "./fault-proxy.ts";
import { buildHardeningScenario, type HardeningScenario } from "./scenario.ts";

const STRATEGY_TIMEOUT_MS = 2500;

/**
 * Resource bounds: a runaway strategy is cancelled at its budget while the others report; every source slow at
 * once still ends each call at the envelope's timeout and the investigation at its deadline; the LLM explorer
 * stays inside its token budget.
 */
describe("test/hardening/resource-bounds: deadlines and budgets hold", () => {
  let scenario: HardeningScenario;
  let backends: Backends;
  let proxies: Record<Backend, FaultProxy>;
  let model: FakeOpenAI;
  let urls: Record<Backend, string>;

  before(async () => {
    scenario = buildHardeningScenario(Date.now());
    backends = await startBackends(scenario);
    proxies = await startProxies(backends);
    urls = Object.fromEntries(Object.entries(proxies).map(([b, p]) => [b, p.url])) as Record<Backend, string>;
    model = await startExplorerModel();
  });
  after(async () => {
    await closeProxies(proxies);
    await model?.stop();
    await backends?.close();
  });

  it("cancels a runaway strategy at its budget without taking the others down", async () => {
    let aborted = false;
    let ticks = 0;
    const runaway: StrategyDefinition = {
      name: "runaway",
      description: "never finishes on its own: loops on timers until cancelled",
      applicable: () => true,
      build: () => ({
        invoke: (_input, config) =>
          new Promise(() => {
            const signal = (config as { signal?: AbortSignal } | undefined)?.signal;
            const timer = setInterval(() => {
              ticks += 1;
            }, 10);
            signal?.addEventListener("abort", () => {
              aborted = true;
              clearInterval(timer);
            });
          }),
      }),
    };
    const crashing: StrategyDefinition = {
      name: "crashing",
      description: "throws at once",
      applicable: () => true,
      build: () => ({
        invoke: async () => {
          throw new Error("strategy bug");
        },
      }),
    };
    const started = Date.now();
    const result = await investigate(frontendAlert(scenario), liveTools(urls), {
      baselineMs: 40 * 60_000,
      stepMs: 60_000,
      strategyTimeoutMs: STRATEGY_TIMEOUT_MS,
      registry: [...STRATEGIES.filter((s) => s.name !== "llm-explorer"), runaway, crashing],
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < STRATEGY_TIMEOUT_MS + 3000, `took ${elapsed} ms`);
    const report = result.strategies.find((s) => s.name === "runaway");
    assert.ok(report, "the runaway strategy has a report");
    assert.match(report.errors.join(" "), /timed out after 2500 ms/);
    assert.ok(aborted, "the runaway strategy's signal was aborted");
    const ticksAtEnd = ticks;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(ticks, ticksAtEnd, "the runaway stopped working once cancelled");
    assert.match(result.strategies.find((s) => s.name === "crashing")?.errors.join(" ") ?? "", /strategy bug/);
    assert.equal(result.candidates[0]?.service, "payment", "the other strategies still found the cause");
    assert.equal(result.abstained, false);
  });

  it("ends every call at the envelope timeout and the investigation at its deadline when every source is slow", async () => {
    for (const p of Object.values(proxies)) p.setFault({ kind: "delay", ms: 20_000 });
    try {
      const started = Date.now();
      const result = await investigate(frontendAlert(scenario, "slow-everything"), liveTools(urls), {
        baselineMs: 40 * 60_000,
        stepMs: 60_000,
        strategyTimeoutMs: STRATEGY_TIMEOUT_MS,
        registry: STRATEGIES.filter((s) => s.name !== "llm-explorer"),
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed < STRATEGY_TIMEOUT_MS + 3000, `took ${elapsed} ms with every source 20 s slow`);
      assert.ok(result.toolCalls.length > 0);
      // A call's time includes waiting for one of the backend's 4 slots; each slot is held one timeout at most.
      for (const call of result.toolCalls) {
        const sameBackend = result.toolCalls.filter((c) => c.backend === call.backend).length;
        const bound = ENVELOPE_TIMEOUT_MS * Math.ceil(sameBackend / 4) + 500;
        assert.ok(call.durationMs <= bound, `${call.backend} ${call.operation}: ${call.durationMs} ms > ${bound}`);
      }
      assert.ok(
        result.toolCalls.every((c) => c.error),
        "no slow call pretended to succeed",
      );
      assert.equal(result.abstained, true, "no data, no conclusion");
    } finally {
      for (const p of Object.values(proxies)) p.setFault({ kind: "none" });
    }
  });

  it("keeps the LLM explorer inside its token budget", async () => {
    const budget = 3000;
    // Every answer reports 900 tokens: without the budget the explorer would take six rounds and conclude.
    const usage = { prompt_tokens: 800, completion_tokens: 100 };
    const hungry = await startFakeOpenAI({
      rules: [
        {
          match: /An alert fired|returned \d+ records|failed\./,
          respond: { tool_calls: [{ name: "search_logs", arguments: { services: ["payment"] } }], usage },
        },
        { match: /Stop calling tools now/, respond: { json: { hypotheses: [] }, usage } },
      ],
      fallback: { status: 400 },
    });
    after(() => hungry.stop());
    const llm = new LlmClient(
      parseLlmConfig({ baseURL: hungry.baseURL, model: "vigil-test-model", maxTokensPerInvestigation: budget }),
    );
    const result = await investigate(frontendAlert(scenario, "token-budget"), liveTools(urls), {
      baselineMs: 40 * 60_000,
      stepMs: 60_000,
      strategyTimeoutMs: 8000,
      llm,
    });
    const spent = result.llm.promptTokens + result.llm.completionTokens;
    assert.ok(spent > 0, "the model was used");
    assert.ok(spent <= budget, `spent ${spent} tokens of a ${budget} budget`);
    const explorer = result.strategies.find((s) => s.name === "llm-explorer");
    assert.match(explorer?.checked.join("\n") ?? "", /token budget/, "the explorer stopped on its budget");
  });
});
