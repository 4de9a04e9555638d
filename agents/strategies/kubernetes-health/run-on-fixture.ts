import { join } from "node:path";
import { createInvestigationTools } from "../../../tools/envelope.ts";
import { loadFixtureCase } from "../../../tools/fixture/loader.ts";
import {
  FixtureChangesSource,
  FixtureClusterSource,
  FixtureLogsSource,
  FixtureTracesSource,
} from "../../../tools/fixture/more-sources.ts";
import { FixtureMetricsSource, FixtureTopologySource } from "../../../tools/fixture/sources.ts";
import { frameFor } from "../../investigate/investigate.ts";
import type { StrategyReport } from "../../types.ts";

/** The scenario suite the strategy tests read. */
export const INCIDENTS = join(import.meta.dirname, "../../../examples/incidents/cases");

export type SourceName = "metrics" | "topology" | "logs" | "traces" | "cluster" | "changes";

interface Invocable {
  invoke(input: unknown, config?: Record<string, unknown>): Promise<{ report?: StrategyReport }>;
}

/**
 * Runs one strategy subgraph on one case of the scenario suite, through the same envelope and fixture adapters as
 * `investigateFixture`, and returns the strategy's own report (not the merged candidates). `without` drops sources
 * to test how a strategy behaves when they are absent.
 */
export async function runOnFixture(
  graph: Invocable,
  caseId: string,
  without: SourceName[] = [],
): Promise<StrategyReport> {
  const fixture = loadFixtureCase(join(INCIDENTS, caseId));
  const keep = (name: SourceName) => !without.includes(name);
  const tools = createInvestigationTools({
    metrics: keep("metrics") && fixture.series.length ? new FixtureMetricsSource(fixture) : undefined,
    topology: keep("topology") && fixture.topology ? new FixtureTopologySource(fixture) : undefined,
    logs: keep("logs") && fixture.logs.length ? new FixtureLogsSource(fixture) : undefined,
    traces: keep("traces") && fixture.spans.length ? new FixtureTracesSource(fixture) : undefined,
    cluster: keep("cluster") && fixture.k8sObjects.length ? new FixtureClusterSource(fixture) : undefined,
    changes: keep("changes") && fixture.changes.length ? new FixtureChangesSource(fixture) : undefined,
    now: fixture.manifest.now,
  });
  const frame = frameFor(fixture.alert, tools, {
    window: { from: fixture.manifest.window.start, to: fixture.manifest.now },
    stepMs: fixture.manifest.stepMs ?? 60_000,
  });
  const out = await graph.invoke({ frame }, { configurable: { tools } });
  if (!out.report) throw new Error("strategy returned no report");
  return out.report;
}
