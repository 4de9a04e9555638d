import type { LlmClient } from "../../agents/llm/client.ts";
import type { InvestigationResult } from "../../agents/types.ts";
import type { Db } from "../store/db.ts";
import { type AlertClass, alertClassOf, buildFacet, type Facet, FacetStore } from "./facets.ts";
import { JudgeStore } from "./judge-store.ts";
import { type JudgeOptions, type Judgment, judgeInvestigation } from "./judges.ts";
import { collectVersions, saveInvestigationVersions, type Versions } from "./versions.ts";

export interface RecordQualityInput {
  investigationId: string;
  result: InvestigationResult;
  /** Default "default": single-tenant installs have one tenant. */
  tenant?: string;
  /** Grouping for pass ratios and facets; default the typed class derived from the alert name. */
  alertClass?: AlertClass;
  /** The model the daemon uses: it judges, and its name is recorded in versions. */
  llm?: LlmClient;
  judge?: Omit<JudgeOptions, "llm">;
  /** Which customer context the tenant has (topology, signal catalog, runbook), for the facet. */
  inventory?: { topology?: boolean; signalCatalog?: boolean; runbook?: boolean };
}

export interface RecordQualityOutcome {
  judgment: Judgment;
  facet: Facet;
  versions: Versions;
}

/**
 * Everything the quality loop keeps about one finished investigation: its checklist judgment, the versions that
 * produced it and its anonymized facet. Call it after the result is stored; it never changes the result, and a
 * judge LLM failure only marks criteria "not judged".
 *
 * @example
 * const quality = await recordQuality(db, { investigationId: record.id, result, llm });
 * logger.info({ failed: quality.facet.judgeFailures }, "Investigation judged");
 */
export async function recordQuality(db: Db, input: RecordQualityInput): Promise<RecordQualityOutcome> {
  const tenant = input.tenant ?? "default";
  const alertClass = input.alertClass ?? alertClassOf(input.result);
  const judgment = await judgeInvestigation(input.result, { ...input.judge, llm: input.llm });
  const versions = collectVersions({ model: input.llm?.config.model });
  const facet = buildFacet({
    investigationId: input.investigationId,
    tenant,
    result: input.result,
    judgment,
    alertClass,
    inventory: input.inventory,
  });
  await new JudgeStore(db).save(input.investigationId, judgment, { alertClass, tenant });
  await saveInvestigationVersions(db, input.investigationId, versions);
  await new FacetStore(db).save(facet);
  return { judgment, facet, versions };
}
