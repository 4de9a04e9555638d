/**
 * A seeded corpus of synthetic investigation facets drawn from known themes, with noise, for the clusters benchmark
 * (`scripts/bench-clusters.ts`) and tests. The themes are the kinds of weakness the insights page should surface.
 */
import type { FaultClass } from "../../agents/types.ts";
import type { AlertClass, DataSource, Facet, Inventory, ReasonCategory } from "./facets.ts";
import { CRITERIA } from "./judges.ts";

export interface Theme {
  name: string;
  alertClasses: AlertClass[];
  causes: Array<FaultClass | "unknown">;
  /** Probability that the investigation abstained. */
  abstain: number;
  found: string[][];
  missingSources?: DataSource[];
  failedSources?: DataSource[];
  missingInventory?: Inventory[];
  judgeFailures?: string[];
  verdict: "up" | "down";
  reason?: ReasonCategory;
  timeToFindingMs: [number, number];
}

export const THEMES: Theme[] = [
  {
    name: "latency alerts without traces",
    alertClasses: ["latency"],
    causes: ["network_delay", "dependency", "unknown"],
    abstain: 0.6,
    found: [["golden-signals"], []],
    missingSources: ["traces"],
    verdict: "down",
    reason: "missing-data",
    timeToFindingMs: [8_000, 20_000],
  },
  {
    name: "no topology: victims blamed",
    alertClasses: ["error-rate", "latency"],
    causes: ["code_error", "dependency"],
    abstain: 0.1,
    found: [["golden-signals"], ["errors-first", "golden-signals"]],
    missingInventory: ["topology"],
    verdict: "down",
    reason: "wrong-cause",
    timeToFindingMs: [3_000, 9_000],
  },
  {
    name: "Loki down",
    alertClasses: ["error-rate"],
    causes: ["code_error", "unknown"],
    abstain: 0.4,
    found: [["golden-signals"], []],
    failedSources: ["logs"],
    judgeFailures: [CRITERIA.noHiddenErrors],
    verdict: "down",
    timeToFindingMs: [20_000, 45_000],
  },
  {
    name: "wrong cause on config changes",
    alertClasses: ["error-rate", "availability"],
    causes: ["config_change"],
    abstain: 0,
    found: [["changes-first"], ["changes-first", "golden-signals"]],
    verdict: "down",
    reason: "wrong-cause",
    timeToFindingMs: [2_000, 6_000],
  },
  {
    name: "cpu saturation found",
    alertClasses: ["saturation", "latency"],
    causes: ["cpu"],
    abstain: 0,
    found: [["saturation", "golden-signals"], ["saturation"]],
    verdict: "up",
    timeToFindingMs: [1_000, 4_000],
  },
  {
    name: "no runbook: vague next steps",
    alertClasses: ["availability"],
    causes: ["dependency", "capacity"],
    abstain: 0.2,
    found: [["golden-signals"]],
    missingInventory: ["runbook"],
    judgeFailures: [CRITERIA.concreteNextSteps],
    verdict: "down",
    reason: "not-actionable",
    timeToFindingMs: [3_000, 8_000],
  },
  {
    name: "crash loops found",
    alertClasses: ["kubernetes"],
    causes: ["code_error", "mem"],
    abstain: 0,
    found: [["kubernetes-health"], ["kubernetes-health", "changes-first"]],
    verdict: "up",
    timeToFindingMs: [1_000, 3_000],
  },
  {
    name: "Kubernetes API forbidden",
    alertClasses: ["kubernetes"],
    causes: ["unknown"],
    abstain: 0.9,
    found: [[]],
    failedSources: ["k8s"],
    judgeFailures: [CRITERIA.namesComponent],
    verdict: "down",
    reason: "missing-data",
    timeToFindingMs: [30_000, 60_000],
  },
];

/** A theme too small to leave its tenant: one customer's rare disk incidents. */
export const SMALL_THEME: Theme = {
  name: "disk pressure without node metrics",
  alertClasses: ["saturation"],
  causes: ["disk"],
  abstain: 1,
  found: [[]],
  missingSources: ["metrics"],
  missingInventory: ["signal-catalog"],
  verdict: "down",
  reason: "too-slow",
  timeToFindingMs: [50_000, 90_000],
};

/** mulberry32: small, seeded, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, values: T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

const NOISE_STRATEGIES = ["golden-signals", "errors-first", "changes-first", "saturation"];
const NOISE_JUDGE = [CRITERIA.bulletCount, CRITERIA.withinBudget, CRITERIA.concreteNextSteps];
const TENANTS = ["t-alpha", "t-bravo", "t-charlie", "t-delta"];

export interface SyntheticCorpusOptions {
  seed?: number; // default 42
  perTheme?: number; // default 38
  smallThemeSize?: number; // default 3
  /** Probability of one extra random facet token per investigation; default 0.3. */
  noise?: number;
}

export interface SyntheticCorpus {
  facets: Facet[];
  /** The theme each facet was drawn from (index into THEMES, or "small"). */
  themes: string[];
  smallTenant: string;
}

function draw(theme: Theme, random: () => number, id: string, tenant: string, noise: number): Facet {
  const abstained = random() < theme.abstain;
  const facet: Facet = {
    investigationId: id,
    tenant,
    alertClass: pick(random, theme.alertClasses),
    rootCauseClass: abstained && random() < 0.5 ? "unknown" : pick(random, theme.causes),
    abstained,
    strategiesFound: [...pick(random, theme.found)].sort(),
    missingSources: [...(theme.missingSources ?? [])],
    failedSources: [...(theme.failedSources ?? [])],
    missingInventory: [...(theme.missingInventory ?? [])],
    judgeFailures: [...(theme.judgeFailures ?? [])],
    timeToFindingMs: Math.round(
      theme.timeToFindingMs[0] + random() * (theme.timeToFindingMs[1] - theme.timeToFindingMs[0]),
    ),
  };
  // Not everyone gives feedback, and some disagree with the theme's typical verdict.
  const r = random();
  if (r < 0.75) facet.verdict = theme.verdict;
  else if (r < 0.85) facet.verdict = theme.verdict === "up" ? "down" : "up";
  if (facet.verdict === "down" && theme.reason && random() < 0.7) facet.reasonCategory = theme.reason;
  if (random() < noise) {
    const kind = Math.floor(random() * 3);
    if (kind === 0)
      facet.strategiesFound = [...new Set([...facet.strategiesFound, pick(random, NOISE_STRATEGIES)])].sort();
    else if (kind === 1) facet.judgeFailures = [...new Set([...facet.judgeFailures, pick(random, NOISE_JUDGE)])].sort();
    else facet.alertClass = pick(random, ["latency", "error-rate", "saturation", "availability", "other"]);
  }
  return facet;
}

/** The corpus: `perTheme` facets per theme across tenants, plus a small theme held by a single tenant. */
export function syntheticCorpus(options: SyntheticCorpusOptions = {}): SyntheticCorpus {
  const random = seededRandom(options.seed ?? 42);
  const perTheme = options.perTheme ?? 38;
  const noise = options.noise ?? 0.3;
  const smallTenant = "t-echo";
  const facets: Facet[] = [];
  const themes: string[] = [];
  const nextId = () => `inv-${(facets.length + 1).toString().padStart(4, "0")}`;
  for (const [t, theme] of THEMES.entries()) {
    for (let i = 0; i < perTheme; i += 1) {
      facets.push(draw(theme, random, nextId(), pick(random, TENANTS), noise));
      themes.push(String(t));
    }
  }
  for (let i = 0; i < (options.smallThemeSize ?? 3); i += 1) {
    facets.push(draw(SMALL_THEME, random, nextId(), smallTenant, 0));
    themes.push("small");
  }
  // Shuffle so the clustering cannot lean on input order.
  const order = facets.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return { facets: order.map((i) => facets[i] as Facet), themes: order.map((i) => themes[i] as string), smallTenant };
}
