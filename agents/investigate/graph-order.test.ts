import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { createInvestigationTools } from "../../tools/envelope.ts";
import type { StrategyDefinition, StrategyGraph } from "../strategies/registry.ts";
import type { Alert, StrategyReport } from "../types.ts";
import { buildInvestigationGraph } from "./graph.ts";
import { frameFor } from "./investigate.ts";

const alert: Alert = {
  fingerprint: "f1",
  alertname: "LatencyHigh",
  status: "firing",
  labels: { alertname: "LatencyHigh", service: "web" },
  annotations: {},
  startsAt: 1_700_000_000_000,
  service: "web",
};

/** A strategy that waits `delayMs`, blames `web`, and records that it ran. */
function strategy(name: string, delayMs: number, ran: string[], applicable = true): StrategyDefinition {
  const State = Annotation.Root({ frame: Annotation<unknown>, report: Annotation<StrategyReport | undefined> });
  return {
    name,
    description: name,
    applicable: () => applicable,
    build: () =>
      new StateGraph(State)
        .addNode("work", async () => {
          ran.push(name);
          await new Promise((r) => setTimeout(r, delayMs));
          const report: StrategyReport = {
            name,
            durationMs: delayMs,
            toolCalls: 0,
            checked: [],
            errors: [],
            hypotheses: [],
          };
          return { report };
        })
        .addEdge(START, "work")
        .addEdge("work", END)
        .compile() as unknown as StrategyGraph,
  };
}

async function run(registry: StrategyDefinition[], options: Parameters<typeof buildInvestigationGraph>[0]) {
  const tools = createInvestigationTools({ now: alert.startsAt + 300_000 });
  const graph = buildInvestigationGraph({ registry, ...options });
  return graph.invoke({ frame: frameFor(alert, tools, {}) }, { configurable: { tools } });
}

describe("agents/investigate/graph order hook", () => {
  it("runs only what the hook keeps, in its order, and never a strategy that is not applicable", async () => {
    const ran: string[] = [];
    const registry = [
      strategy("a", 10, ran),
      strategy("b", 10, ran),
      strategy("c", 10, ran),
      strategy("off", 10, ran, false),
    ];
    const seen: Array<{ applicable: string[]; alertname: string }> = [];

    const state = await run(registry, {
      order: (applicable, a) => {
        seen.push({ applicable, alertname: a.alertname });
        return { order: ["c", "off", "a", "c"] };
      },
    });

    assert.deepEqual(seen, [{ applicable: ["a", "b", "c"], alertname: "LatencyHigh" }]);
    assert.deepEqual(state.plan, ["c", "a"]);
    assert.deepEqual(state.reports.map((r) => r.name).sort(), ["a", "c"]);
    assert.deepEqual(ran.sort(), ["a", "c"]);
  });

  it("gives each strategy its budget as its timeout, and the default to the others", async () => {
    const ran: string[] = [];
    const registry = [strategy("slow", 400, ran), strategy("patient", 400, ran)];

    const state = await run(registry, {
      strategyTimeoutMs: 5_000,
      order: async (applicable) => ({ order: applicable, budgets: { slow: 50 } }),
    });

    const slow = state.reports.find((r) => r.name === "slow");
    const patient = state.reports.find((r) => r.name === "patient");
    assert.match(slow?.errors[0] ?? "", /timed out after 50 ms/);
    assert.deepEqual(patient?.errors, []);
  });

  it("runs every applicable strategy in registry order without a hook", async () => {
    const ran: string[] = [];

    const state = await run([strategy("x", 5, ran), strategy("y", 5, ran)], {});

    assert.deepEqual(state.plan, ["x", "y"]);
    assert.equal(state.reports.length, 2);
  });
});
