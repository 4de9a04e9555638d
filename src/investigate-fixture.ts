import { type InvestigateOptions, investigate } from "../agents/investigate/investigate.ts";
import type { InvestigationResult } from "../agents/types.ts";
import { createInvestigationTools } from "../tools/envelope.ts";
import { type FixtureCase, loadFixtureCase } from "../tools/fixture/loader.ts";
import {
  FixtureChangesSource,
  FixtureClusterSource,
  FixtureLogsSource,
  FixtureTracesSource,
} from "../tools/fixture/more-sources.ts";
import { FixtureMetricsSource, FixtureTopologySource } from "../tools/fixture/sources.ts";

/** Investigate a recorded incident through the same interfaces as a live system. */
export async function investigateFixture(
  dirOrCase: string | FixtureCase,
  options: InvestigateOptions = {},
): Promise<InvestigationResult> {
  const fixture = typeof dirOrCase === "string" ? loadFixtureCase(dirOrCase) : dirOrCase;
  const { manifest } = fixture;
  const tools = createInvestigationTools({
    metrics: fixture.series.length > 0 ? new FixtureMetricsSource(fixture) : undefined,
    topology: fixture.topology ? new FixtureTopologySource(fixture) : undefined,
    logs: fixture.logs.length > 0 ? new FixtureLogsSource(fixture) : undefined,
    traces: fixture.spans.length > 0 ? new FixtureTracesSource(fixture) : undefined,
    cluster: fixture.k8sObjects.length + fixture.k8sEvents.length > 0 ? new FixtureClusterSource(fixture) : undefined,
    changes: fixture.changes.length > 0 ? new FixtureChangesSource(fixture) : undefined,
    now: manifest.now,
  });
  return investigate(fixture.alert, tools, {
    window: { from: manifest.window.start, to: manifest.now },
    stepMs: manifest.stepMs ?? 60_000,
    caseId: manifest.id,
    ...options,
  });
}
