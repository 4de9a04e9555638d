import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { createInvestigationTools } from "../../tools/envelope.ts";
import type { StrategyDefinition, StrategyGraph } from "../strategies/registry.ts";
import type { Alert, StrategyReport } from "../types.ts";
import { investigate } from "./investigate.ts";

const alert: Alert = {
  fingerprint: "f1",
  alertname: "LatencyHigh",
  status: "firing",
  labels: { alertname: "LatencyHigh", service: "web" },
  annotations: {},
  startsAt: 1_700_000_000_000,
  service: "web",
};

/** When each test strategy ran, to check that they overlapped. */
const runs: Array<{ name: string; start: number; end: number }> = [];

/** A strategy subgraph that waits `delayMs`, then blames `service`. */
function slowStrategy(name: string, delayMs: number, service: string, score: number): StrategyDefinition {
  const State = Annotation.Root({
    frame: Annotation<unknown>,
    report: Annotation<StrategyReport | undefined>,
  });
  return {
    name,
    description: `test strategy ${name}`,
    applicable: () => true,
    build: () =>
      new StateGraph(State)
        .addNode("work", async () => {
          runs.push({ name, start: Date.now(), end: 0 });
          const run = runs[runs.length - 1];
          await new Promise((r) => setTimeout(r, delayMs));
          run.end = Date.now();
          const report: StrategyReport = {
            name,
            durationMs: delayMs,
            toolCalls: 0,
            checked: [`${name} looked`],
            errors: [],
            hypotheses: [
              {
                service,
                faultClass: "cpu",
                mechanism: "CPU usage up",
                score,
                strategy: name,
                evidence: [
                  {
                    id: `${name}-1`,
                    type: "metric",
                    ref: `cpu{service="${service}"}`,
                    from: 0,
                    to: 1,
                    summary: "cpu up",
                    service,
                  },
                ],
              },
            ],
          };
          return { report };
        })
        .addEdge(START, "work")
        .addEdge("work", END)
        .compile() as unknown as StrategyGraph,
  };
}

describe("agents/investigate/graph", () => {
  it("runs the strategies in parallel through Send and merges their hypotheses", async () => {
    const registry = [
      slowStrategy("a", 300, "db", 0.7),
      slowStrategy("b", 300, "db", 0.6),
      slowStrategy("c", 300, "web", 0.3),
    ];
    const tools = createInvestigationTools({ now: alert.startsAt + 300_000 });

    runs.length = 0;
    const result = await investigate(alert, tools, { registry });

    // In parallel, every strategy started before any of them finished.
    const firstEnd = Math.min(...runs.map((r) => r.end));
    assert.equal(runs.length, 3);
    assert.ok(
      runs.every((r) => r.start < firstEnd),
      `strategies ran one after another: ${JSON.stringify(runs)}`,
    );
    assert.deepEqual(result.strategies.map((s) => s.name).sort(), ["a", "b", "c"]);
    assert.equal(result.candidates[0].service, "db");
    assert.deepEqual(result.candidates[0].strategies.sort(), ["a", "b"]);
    assert.ok(result.candidates[0].score > 0.7, "two strategies corroborating raise the score");
  });

  it("reports a strategy that overruns its budget without losing the others", async () => {
    const registry = [slowStrategy("fast", 10, "db", 0.8), slowStrategy("stuck", 1_500, "web", 0.9)];
    const tools = createInvestigationTools({ now: alert.startsAt + 300_000 });

    const result = await investigate(alert, tools, { registry, strategyTimeoutMs: 200 });

    const stuck = result.strategies.find((s) => s.name === "stuck");
    assert.match(stuck?.errors[0] ?? "", /timed out/);
    assert.equal(result.candidates[0].service, "db");
    assert.ok(result.summary.whyNotHigher.some((w) => w.includes("stuck")));
  });

  it("abstains and says so when no strategy finds anything", async () => {
    const tools = createInvestigationTools({ now: alert.startsAt + 300_000 });

    const result = await investigate(alert, tools);

    assert.equal(result.abstained, true);
    assert.equal(result.candidates.length, 0);
    assert.match(result.summary.headline, /No conclusive cause/);
  });
});
