/**
 * Facet records: what a finished investigation looked like, reduced to anonymized, typed fields. Facets are the only
 * input of the insights clusters, so nothing here may carry a service name, a label value, a log line or free text:
 * every field is a class from a fixed vocabulary, a strategy name, a criterion id or a number.
 */
import { z } from "zod";
import type { FaultClass, InvestigationResult } from "../../agents/types.ts";
import type { Db } from "../store/db.ts";
import type { FeedbackVerdict } from "./judge-store.ts";
import { failedCriteria, type Judgment, timeToFirstFindingMs } from "./judges.ts";

export const ALERT_CLASSES = ["latency", "error-rate", "saturation", "availability", "kubernetes", "other"] as const;
export type AlertClass = (typeof ALERT_CLASSES)[number];

/** Data sources Vigil reads (capabilities). */
export const DATA_SOURCES = ["metrics", "logs", "traces", "k8s", "changes"] as const;
export type DataSource = (typeof DATA_SOURCES)[number];

/** Customer context Vigil can be given (inventory). */
export const INVENTORY = ["topology", "signal-catalog", "runbook"] as const;
export type Inventory = (typeof INVENTORY)[number];

export const REASON_CATEGORIES = ["wrong-cause", "missing-data", "too-slow", "not-actionable", "other"] as const;
export type ReasonCategory = (typeof REASON_CATEGORIES)[number];

export interface Facet {
  investigationId: string;
  /** Kept so that small clusters never leave their tenant; never shown as a facet. */
  tenant: string;
  alertClass: AlertClass;
  /** The fault class of the reported cause; "unknown" when Vigil abstained without a lead. */
  rootCauseClass: FaultClass | "unknown";
  abstained: boolean;
  /** Strategies whose hypotheses made it into the top candidate. */
  strategiesFound: string[];
  /** Sources Vigil had no access to. */
  missingSources: DataSource[];
  /** Sources Vigil has but could not read this time. */
  failedSources: DataSource[];
  /** Customer context that was missing. */
  missingInventory: Inventory[];
  /** Checklist criteria that failed. */
  judgeFailures: string[];
  verdict?: FeedbackVerdict;
  reasonCategory?: ReasonCategory;
  timeToFindingMs: number;
}

export const facetSchema = z.object({
  investigationId: z.string(),
  tenant: z.string(),
  alertClass: z.enum(ALERT_CLASSES),
  rootCauseClass: z.string(),
  abstained: z.boolean(),
  strategiesFound: z.array(z.string()),
  missingSources: z.array(z.enum(DATA_SOURCES)),
  failedSources: z.array(z.enum(DATA_SOURCES)),
  missingInventory: z.array(z.enum(INVENTORY)),
  judgeFailures: z.array(z.string()),
  verdict: z.enum(["up", "down"]).optional(),
  reasonCategory: z.enum(REASON_CATEGORIES).optional(),
  timeToFindingMs: z.number(),
});

// Keyword rules, first match wins: alert names are customer-written, so only the class they fall in is kept.
const ALERT_CLASS_RULES: Array<[AlertClass, RegExp]> = [
  ["kubernetes", /kube|pod|crash ?loop|oom|container|node(?:not)?ready|deployment|replica/i],
  ["latency", /latenc|slow|duration|p9\d|response ?time/i],
  ["error-rate", /error|5xx|fail|exception/i],
  ["saturation", /cpu|memory|mem\b|disk|saturat|throttl|queue|capacity|connection ?pool|socket/i],
  ["availability", /down|unavailable|unreachable|absent|up\b|health|probe|slo|burn/i],
];

/** The typed class of an alert, from its name and (as a fallback) the kinds of its labels. */
export function alertClassOf(result: Pick<InvestigationResult, "alert">): AlertClass {
  const text = `${result.alert.alertname} ${result.alert.labels.severity ?? ""}`;
  for (const [cls, rule] of ALERT_CLASS_RULES) if (rule.test(text)) return cls;
  return "other";
}

const SOURCE_WORDS: Array<[DataSource, RegExp]> = [
  ["metrics", /metric|prometheus|promql|series/i],
  ["logs", /\blogs?\b|loki|logql/i],
  ["traces", /trace|tempo|jaeger|span/i],
  ["k8s", /kubernetes|k8s|\bpods?\b|cluster state|kube/i],
  ["changes", /change|deploy/i],
];

function sourcesIn(text: string): DataSource[] {
  return SOURCE_WORDS.filter(([, rule]) => rule.test(text)).map(([s]) => s);
}

const BACKEND_SOURCE: Record<string, DataSource> = {
  prometheus: "metrics",
  metrics: "metrics",
  loki: "logs",
  logs: "logs",
  tempo: "traces",
  jaeger: "traces",
  traces: "traces",
  kubernetes: "k8s",
  k8s: "k8s",
  cluster: "k8s",
  changes: "changes",
};

/** A free-text feedback reason reduced to a category; the text itself is never kept. */
export function categorizeReason(text: string | undefined): ReasonCategory | undefined {
  if (!text?.trim()) return undefined;
  if (/wrong|not the cause|victim|misattribut|red herring|blamed|incorrect/i.test(text)) return "wrong-cause";
  if (/missing|no data|couldn'?t see|could not see|blind|no logs|no traces|not available/i.test(text)) {
    return "missing-data";
  }
  if (/slow|late|took too long|timeout|timed out/i.test(text)) return "too-slow";
  if (/vague|generic|useless|not actionable|obvious|noise|noisy|unhelpful/i.test(text)) return "not-actionable";
  return "other";
}

export interface FacetInput {
  investigationId: string;
  tenant: string;
  result: InvestigationResult;
  judgment?: Judgment;
  /** Override the keyword-derived class (e.g. from a configured mapping). */
  alertClass?: AlertClass;
  /** What customer context the tenant has; undefined fields are not counted as missing. */
  inventory?: { topology?: boolean; signalCatalog?: boolean; runbook?: boolean };
  feedback?: { verdict?: FeedbackVerdict; reason?: string };
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)].sort();
}

/** Build the anonymized facet record of one finished investigation. */
export function buildFacet(input: FacetInput): Facet {
  const { result } = input;
  const why = result.summary.whyNotHigher;
  const missingSources: DataSource[] = [];
  const missingInventory: Inventory[] = [];
  for (const line of why) {
    // Phrases written by agents/synthesis/confidence.ts.
    const missing = /^no (.+) available to check$/i.exec(line);
    if (missing?.[1]) missingSources.push(...sourcesIn(missing[1]));
    if (/no service topology/i.test(line)) missingInventory.push("topology");
  }
  if (input.inventory?.topology === false) missingInventory.push("topology");
  if (input.inventory?.signalCatalog === false) missingInventory.push("signal-catalog");
  if (input.inventory?.runbook === false) missingInventory.push("runbook");
  const failedSources: DataSource[] = [];
  for (const call of result.toolCalls) {
    if (!call.error) continue;
    const source = BACKEND_SOURCE[call.backend.toLowerCase()] ?? sourcesIn(`${call.backend} ${call.operation}`)[0];
    if (source) failedSources.push(source);
  }
  for (const s of result.strategies) for (const e of s.errors) failedSources.push(...sourcesIn(e).slice(0, 1));
  const top = result.candidates[0];
  return {
    investigationId: input.investigationId,
    tenant: input.tenant,
    alertClass: input.alertClass ?? alertClassOf(result),
    rootCauseClass: top?.faultClass ?? "unknown",
    abstained: result.abstained,
    strategiesFound: unique(top?.strategies ?? []),
    missingSources: unique(missingSources),
    failedSources: unique(failedSources),
    missingInventory: unique(missingInventory),
    judgeFailures: input.judgment ? unique(failedCriteria(input.judgment)) : [],
    ...(input.feedback?.verdict ? { verdict: input.feedback.verdict } : {}),
    ...(categorizeReason(input.feedback?.reason) ? { reasonCategory: categorizeReason(input.feedback?.reason) } : {}),
    timeToFindingMs: timeToFirstFindingMs(result),
  };
}

/** The facet as tokens, the text the clustering sees ("alert:latency missing:traces verdict:down …"). */
export function facetTokens(facet: Facet): string[] {
  const tokens = [`alert:${facet.alertClass}`, `cause:${facet.rootCauseClass}`];
  if (facet.abstained) tokens.push("abstained");
  if (facet.strategiesFound.length === 0) tokens.push("found:none");
  for (const s of facet.strategiesFound) tokens.push(`found:${s}`);
  for (const s of facet.missingSources) tokens.push(`missing:${s}`);
  for (const s of facet.failedSources) tokens.push(`failed:${s}`);
  for (const s of facet.missingInventory) tokens.push(`no-inventory:${s}`);
  for (const c of facet.judgeFailures) tokens.push(`judge-fail:${c}`);
  if (facet.verdict) tokens.push(`verdict:${facet.verdict}`);
  if (facet.reasonCategory) tokens.push(`reason:${facet.reasonCategory}`);
  return tokens;
}

/** Facets of finished investigations (migration 022). Feedback arriving later updates the facet in place. */
export class FacetStore {
  constructor(private readonly db: Pick<Db, "query">) {}

  async save(facet: Facet): Promise<void> {
    const parsed = facetSchema.parse(facet);
    await this.db.query(
      `INSERT INTO vigil.investigation_facets (investigation_id, tenant, facet) VALUES ($1, $2, $3)
       ON CONFLICT (investigation_id) DO UPDATE SET tenant = EXCLUDED.tenant, facet = EXCLUDED.facet`,
      [parsed.investigationId, parsed.tenant, JSON.stringify(parsed)],
    );
  }

  /** Record 👍/👎 and the reason's category (the reason text itself is not stored here). */
  async setFeedback(investigationId: string, verdict: FeedbackVerdict, reason?: string): Promise<void> {
    const category = categorizeReason(reason);
    await this.db.query(
      `UPDATE vigil.investigation_facets
          SET facet = facet || jsonb_build_object('verdict', $2::text)
                    || CASE WHEN $3::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('reasonCategory', $3::text) END
        WHERE investigation_id = $1`,
      [investigationId, verdict, category ?? null],
    );
  }

  /** Facets finished since a time (default all), newest first, at most `limit` (default 5000). */
  async list(options: { since?: Date; tenant?: string; limit?: number } = {}): Promise<Facet[]> {
    const { rows } = await this.db.query<{ facet: unknown }>(
      `SELECT facet FROM vigil.investigation_facets
        WHERE ($1::timestamptz IS NULL OR finished_at >= $1) AND ($2::text IS NULL OR tenant = $2)
        ORDER BY finished_at DESC LIMIT $3`,
      [options.since?.toISOString() ?? null, options.tenant ?? null, options.limit ?? 5000],
    );
    return rows.flatMap((r) => {
      const parsed = facetSchema.safeParse(typeof r.facet === "string" ? JSON.parse(r.facet) : r.facet);
      return parsed.success ? [parsed.data as Facet] : [];
    });
  }

  async delete(investigationId: string): Promise<void> {
    await this.db.query("DELETE FROM vigil.investigation_facets WHERE investigation_id = $1", [investigationId]);
  }
}
