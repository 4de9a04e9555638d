/**
 * Clusters of investigations: what Vigil cannot do yet. Facets become TF-IDF vectors over their tokens (or
 * embeddings from an OpenAI-compatible endpoint), are grouped by hierarchical clustering (`ml-hclust` agnes, average
 * linkage, cosine distance), and the tree is cut into clusters. Each cluster gets its size, 👎 rate, abstain rate,
 * median time to finding, a name from its top facets (optionally rewritten by an LLM), and, for clusters of
 * failures, a label: missing capability (a data source or tool Vigil lacks or could not read) or missing inventory
 * (customer context that was missing).
 *
 * Privacy: facets are anonymized by construction (facets.ts), and a cluster smaller than the minimum size is only
 * ever shown to its own tenant (`visibleClusters`).
 *
 * @example
 * const report = await insights(await new FacetStore(db).list(), { viewerTenant: "acme" });
 * console.log(formatInsights(report));
 */
import { agnes, type Cluster as TreeNode } from "ml-hclust";
import OpenAI from "openai";
import { z } from "zod";
import type { LlmClient } from "../../agents/llm/client.ts";
import { type Facet, facetTokens } from "./facets.ts";
import { loadJudgePrompt } from "./judge-prompts.ts";

/** Clusters with fewer investigations than this are never shown outside their tenant. */
export const DEFAULT_MIN_CLUSTER_SIZE = 5;
/** Cosine distance at which the tree is cut: members of a cluster share most of their weighted facets. */
export const DEFAULT_CUT_DISTANCE = 0.55;
/** A coarser cut gives each cluster a parent, the second level of the hierarchy. */
export const DEFAULT_PARENT_CUT_DISTANCE = 0.85;
/** agnes is cubic in the number of points; beyond this the newest facets are clustered. */
export const MAX_CLUSTERED_FACETS = 2000;

export type Embed = (texts: string[]) => Promise<number[][]>;

export type GapLabel = "missing-capability" | "missing-inventory" | "unexplained";

export interface InvestigationCluster {
  id: number;
  /** Id of the cluster one level up (coarser cut). */
  parent: number;
  name: string;
  size: number;
  /** 👎 among members with a verdict; null when none has one. */
  downRate: number | null;
  abstainRate: number;
  medianTimeToFindingMs: number;
  /** Facet tokens shared by most members, most characteristic first. */
  topFacets: Array<{ facet: string; share: number }>;
  /** Set for clusters of failures (mostly 👎, abstained or failing a judge). */
  failure: boolean;
  label?: GapLabel;
  investigationIds: string[];
  /** Tenants of the members (never shown; used for the privacy rule). */
  tenants: string[];
}

export interface ClusterOptions {
  cutDistance?: number; // default 0.55
  parentCutDistance?: number; // default 0.85
  /** Embeddings instead of TF-IDF (an OpenAI-compatible endpoint: see `openAiEmbedder`). */
  embed?: Embed;
  /** Rewrites cluster names from their top facets; the facet name is kept when it fails. */
  llm?: LlmClient;
}

/** TF-IDF vectors (smoothed idf, L2-normalized) over each document's tokens. */
export function tfidf(documents: string[][]): number[][] {
  const vocabulary = new Map<string, number>();
  const df = new Map<string, number>();
  for (const doc of documents) {
    for (const token of new Set(doc)) {
      if (!vocabulary.has(token)) vocabulary.set(token, vocabulary.size);
      df.set(token, (df.get(token) ?? 0) + 1);
    }
  }
  const n = documents.length;
  return documents.map((doc) => {
    const vector = new Array<number>(vocabulary.size).fill(0);
    for (const token of doc) {
      const i = vocabulary.get(token) as number;
      vector[i] += Math.log((1 + n) / (1 + (df.get(token) ?? 0))) + 1;
    }
    return normalize(vector);
  });
}

function normalize(vector: number[]): number[] {
  const norm = Math.sqrt(vector.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? vector : vector.map((x) => x / norm);
}

export function cosineDistance(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    na += (a[i] ?? 0) ** 2;
    nb += (b[i] ?? 0) ** 2;
  }
  if (na === 0 || nb === 0) return 1;
  return Math.max(0, 1 - dot / Math.sqrt(na * nb));
}

function distanceMatrix(vectors: number[][]): number[][] {
  const n = vectors.length;
  const d = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i += 1) {
    for (let j = i + 1; j < n; j += 1) {
      const x = cosineDistance(vectors[i] as number[], vectors[j] as number[]);
      (d[i] as number[])[j] = x;
      (d[j] as number[])[i] = x;
    }
  }
  return d;
}

/** Cut the tree at a distance and return, for each point, the index of its cluster. */
function assignments(tree: TreeNode, n: number, distance: number): number[] {
  const out = new Array<number>(n).fill(-1);
  for (const [k, node] of tree.cut(distance).entries()) {
    for (const i of node.isLeaf ? [node.index] : node.indices()) out[i] = k;
  }
  return out;
}

/** Cluster labels (0…k-1) for each facet; the building block of `clusterFacets` and the benchmark. */
export async function clusterAssignments(
  facets: Facet[],
  options: Pick<ClusterOptions, "cutDistance" | "parentCutDistance" | "embed"> = {},
): Promise<{ labels: number[]; parents: number[] }> {
  if (facets.length === 0) return { labels: [], parents: [] };
  if (facets.length === 1) return { labels: [0], parents: [0] };
  const docs = facets.map(facetTokens);
  const vectors = options.embed ? await options.embed(docs.map((d) => d.join(" "))) : tfidf(docs);
  const tree = agnes(distanceMatrix(vectors), { method: "average", isDistanceMatrix: true });
  return {
    labels: assignments(tree, facets.length, options.cutDistance ?? DEFAULT_CUT_DISTANCE),
    parents: assignments(tree, facets.length, options.parentCutDistance ?? DEFAULT_PARENT_CUT_DISTANCE),
  };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const NAME_FACETS = 3;

function humanize(token: string): string {
  const [kind, value] = token.split(":");
  switch (kind) {
    case "alert":
      return `${value} alerts`;
    case "cause":
      return value === "unknown" ? "no cause" : `${value} causes`;
    case "found":
      return value === "none" ? "nothing found" : `found by ${value}`;
    case "missing":
      return `no ${value}`;
    case "failed":
      return `${value} unreadable`;
    case "no-inventory":
      return `no ${value}`;
    case "judge-fail":
      return `fails ${value}`;
    case "verdict":
      return value === "down" ? "👎" : "👍";
    case "reason":
      return `${value} feedback`;
    default:
      return token;
  }
}

/** Facets most characteristic of a cluster: shared by many members and rare elsewhere. */
function topFacets(members: Facet[], all: Facet[]): Array<{ facet: string; share: number }> {
  const count = (facets: Facet[]) => {
    const c = new Map<string, number>();
    for (const f of facets) for (const t of new Set(facetTokens(f))) c.set(t, (c.get(t) ?? 0) + 1);
    return c;
  };
  const inside = count(members);
  const overall = count(all);
  return [...inside.entries()]
    .map(([facet, n]) => ({
      facet,
      share: n / members.length,
      lift: n / members.length / ((overall.get(facet) ?? n) / all.length),
    }))
    .filter((x) => x.share >= 0.5)
    .sort((a, b) => b.share * Math.log(1 + b.lift) - a.share * Math.log(1 + a.lift) || a.facet.localeCompare(b.facet))
    .map(({ facet, share }) => ({ facet, share }));
}

function gapLabel(members: Facet[]): GapLabel {
  const share = (test: (f: Facet) => boolean) => members.filter(test).length / members.length;
  const capability = share((f) => f.missingSources.length + f.failedSources.length > 0);
  const inventory = share((f) => f.missingInventory.length > 0);
  if (capability >= 0.5 && capability >= inventory) return "missing-capability";
  if (inventory >= 0.5) return "missing-inventory";
  return "unexplained";
}

function isFailure(members: Facet[]): boolean {
  const share = (test: (f: Facet) => boolean) => members.filter(test).length / members.length;
  const judged = members.filter((f) => f.verdict);
  const down = judged.length > 0 ? judged.filter((f) => f.verdict === "down").length / judged.length : 0;
  return down >= 0.5 || share((f) => f.abstained) >= 0.5 || share((f) => f.judgeFailures.length > 0) >= 0.5;
}

const clusterNameSchema = z.object({ name: z.string() });

async function llmName(llm: LlmClient, facets: Array<{ facet: string; share: number }>): Promise<string | undefined> {
  const list = facets.map((f) => `- ${f.facet} (${Math.round(f.share * 100)}% of the cluster)`).join("\n");
  const answer = await llm.chatJson(
    [
      { role: "system", content: loadJudgePrompt("judge-cluster-name").content },
      { role: "user", content: `Facets of the cluster:\n${list}` },
    ],
    clusterNameSchema,
    "cluster_name",
    { purpose: "cluster_name" },
  );
  if (!answer.ok) return undefined;
  const name = answer.data.name.replace(/\s+/g, " ").trim();
  return name && name.length <= 80 ? name : undefined;
}

/** Cluster facets and describe each cluster. All tenants' facets are clustered; `visibleClusters` filters. */
export async function clusterFacets(input: Facet[], options: ClusterOptions = {}): Promise<InvestigationCluster[]> {
  const facets = input.slice(0, MAX_CLUSTERED_FACETS);
  const { labels, parents } = await clusterAssignments(facets, options);
  const groups = new Map<number, number[]>();
  for (const [i, label] of labels.entries()) groups.set(label, [...(groups.get(label) ?? []), i]);
  const clusters: InvestigationCluster[] = [];
  for (const [label, indices] of groups) {
    const members = indices.map((i) => facets[i] as Facet);
    const judged = members.filter((f) => f.verdict);
    const top = topFacets(members, facets);
    const failure = isFailure(members);
    clusters.push({
      id: label,
      parent: parents[indices[0] as number] ?? label,
      name:
        top
          .slice(0, NAME_FACETS)
          .map((t) => humanize(t.facet))
          .join(", ") || "mixed",
      size: members.length,
      downRate: judged.length > 0 ? judged.filter((f) => f.verdict === "down").length / judged.length : null,
      abstainRate: members.filter((f) => f.abstained).length / members.length,
      medianTimeToFindingMs: median(members.map((f) => f.timeToFindingMs)),
      topFacets: top.slice(0, 8),
      failure,
      ...(failure ? { label: gapLabel(members) } : {}),
      investigationIds: members.map((f) => f.investigationId),
      tenants: [...new Set(members.map((f) => f.tenant))].sort(),
    });
  }
  clusters.sort((a, b) => Number(b.failure) - Number(a.failure) || b.size - a.size || a.id - b.id);
  if (options.llm) {
    for (const c of clusters) c.name = (await llmName(options.llm, c.topFacets)) ?? c.name;
  }
  return clusters;
}

/**
 * The clusters a viewer may see: a cluster below the minimum size only when every member belongs to the viewer's
 * tenant (a cluster of two investigations could otherwise identify another customer's incidents). A viewer without a
 * tenant (an operator) sees only clusters at or above the minimum. Investigation ids of other tenants are removed.
 */
export function visibleClusters(
  clusters: InvestigationCluster[],
  viewerTenant: string | undefined,
  minSize = DEFAULT_MIN_CLUSTER_SIZE,
): InvestigationCluster[] {
  const out: InvestigationCluster[] = [];
  for (const c of clusters) {
    const own = viewerTenant !== undefined && c.tenants.length === 1 && c.tenants[0] === viewerTenant;
    if (c.size < minSize && !own) continue;
    out.push(c);
  }
  return out;
}

export interface InsightsOptions extends ClusterOptions {
  viewerTenant?: string;
  minClusterSize?: number; // default 5
}

export interface InsightsReport {
  investigations: number;
  clusters: InvestigationCluster[];
  /** Clusters left out by the privacy rule (their count only). */
  hiddenClusters: number;
  minClusterSize: number;
  generatedAt: string;
}

/** `vigil insights` and the Insights page: clusters of investigations the viewer may see. */
export async function insights(facets: Facet[], options: InsightsOptions = {}): Promise<InsightsReport> {
  const minSize = options.minClusterSize ?? DEFAULT_MIN_CLUSTER_SIZE;
  const all = await clusterFacets(facets, options);
  const visible = visibleClusters(all, options.viewerTenant, minSize).map((c) =>
    options.viewerTenant === undefined
      ? c
      : {
          ...c,
          // One click away for the viewer's own investigations; other tenants' ids never leave their tenant.
          investigationIds: c.investigationIds.filter(
            (id) => facets.find((f) => f.investigationId === id)?.tenant === options.viewerTenant,
          ),
        },
  );
  return {
    investigations: facets.length,
    clusters: visible,
    hiddenClusters: all.length - visible.length,
    minClusterSize: minSize,
    generatedAt: new Date().toISOString(),
  };
}

function percent(x: number | null): string {
  return x === null ? "  -  " : `${Math.round(x * 100)}%`.padStart(4);
}

/** The insights report for a terminal. */
export function formatInsights(report: InsightsReport, options: { ids?: number } = {}): string {
  const lines = [
    `Insights: ${report.investigations} investigations, ${report.clusters.length} clusters shown` +
      (report.hiddenClusters > 0 ? ` (${report.hiddenClusters} below ${report.minClusterSize} hidden)` : ""),
    "",
    `  ${"size".padStart(4)} ${"👎".padStart(4)} ${"abst".padStart(4)} ${"ttf".padStart(7)}  ${"label".padEnd(18)} name`,
  ];
  for (const c of report.clusters) {
    const ttf = `${(c.medianTimeToFindingMs / 1000).toFixed(1)}s`;
    lines.push(
      `  ${String(c.size).padStart(4)} ${percent(c.downRate)} ${percent(c.abstainRate)} ${ttf.padStart(7)}  ${(c.label ?? (c.failure ? "failure" : "ok")).padEnd(18)} ${c.name}`,
    );
    const shown = c.investigationIds.slice(0, options.ids ?? 3);
    if (shown.length > 0) {
      lines.push(`${" ".repeat(42)}e.g. ${shown.join(", ")}${c.investigationIds.length > shown.length ? ", …" : ""}`);
    }
  }
  return lines.join("\n");
}

/**
 * Embeddings from an OpenAI-compatible endpoint (`/v1/embeddings`), for `ClusterOptions.embed`.
 *
 * @example
 * clusterFacets(facets, { embed: openAiEmbedder({ baseURL: "http://vllm:8000/v1", model: "bge-small" }) });
 */
export function openAiEmbedder(config: { baseURL: string; model: string; apiKey?: string; timeoutMs?: number }): Embed {
  const client = new OpenAI({
    baseURL: config.baseURL,
    apiKey: config.apiKey ?? "not-needed",
    timeout: config.timeoutMs ?? 30_000,
    maxRetries: 1,
  });
  return async (texts) => {
    const out: number[][] = [];
    // Batches keep each request under typical server limits.
    for (let i = 0; i < texts.length; i += 256) {
      const page = await client.embeddings.create({ model: config.model, input: texts.slice(i, i + 256) });
      for (const d of [...page.data].sort((a, b) => a.index - b.index)) out.push(d.embedding);
    }
    return out;
  };
}
