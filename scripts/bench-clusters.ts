/**
 * Clusters benchmark: a seeded corpus of synthetic investigation facets from known themes (with noise) is clustered
 * the way `vigil insights` does it; prints the adjusted Rand index against the themes (target ≥ 0.8) and checks that
 * no cluster below the minimum size is visible outside its own tenant. Exits non-zero when either fails.
 *
 *   npx tsx scripts/bench-clusters.ts [--seed 42] [--per-theme 38] [--noise 0.3]
 */
import { parseArgs } from "node:util";
import { adjustedRandIndex } from "../src/quality/adjusted-rand-index.ts";
import {
  clusterAssignments,
  clusterFacets,
  DEFAULT_MIN_CLUSTER_SIZE,
  visibleClusters,
} from "../src/quality/clusters.ts";
import { syntheticCorpus, THEMES } from "../src/quality/synthetic-facets.ts";

const TARGET_ARI = 0.8;

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "42" },
    "per-theme": { type: "string", default: "38" },
    noise: { type: "string", default: "0.3" },
  },
});
const corpus = syntheticCorpus({
  seed: Number(values.seed),
  perTheme: Number(values["per-theme"]),
  noise: Number(values.noise),
});
const started = performance.now();
const { labels } = await clusterAssignments(corpus.facets);
const ari = adjustedRandIndex(corpus.themes, labels);
const clusters = await clusterFacets(corpus.facets);
const elapsed = performance.now() - started;

console.log(
  `corpus: ${corpus.facets.length} facets, ${THEMES.length} themes + 1 small theme (seed ${values.seed}, noise ${values.noise})`,
);
console.log(
  `clusters: ${clusters.length} (${clusters.filter((c) => c.size >= DEFAULT_MIN_CLUSTER_SIZE).length} at or above the minimum size ${DEFAULT_MIN_CLUSTER_SIZE}) in ${elapsed.toFixed(0)} ms`,
);
for (const c of clusters) {
  console.log(
    `  ${String(c.size).padStart(4)}  👎 ${c.downRate === null ? "  -" : `${Math.round(c.downRate * 100)}%`.padStart(4)}  abstain ${`${Math.round(c.abstainRate * 100)}%`.padStart(4)}  ${(c.label ?? (c.failure ? "failure" : "ok")).padEnd(18)} ${c.name}`,
  );
}
console.log(`adjusted Rand index: ${ari.toFixed(3)} (target ≥ ${TARGET_ARI})`);

// Privacy: for every viewer, every visible cluster below the minimum belongs entirely to the viewer's tenant.
const tenants = [...new Set(corpus.facets.map((f) => f.tenant))];
const leaks: string[] = [];
for (const viewer of [undefined, ...tenants]) {
  for (const c of visibleClusters(clusters, viewer)) {
    if (c.size < DEFAULT_MIN_CLUSTER_SIZE && (c.tenants.length !== 1 || c.tenants[0] !== viewer)) {
      leaks.push(`${c.name} (size ${c.size}) shown to ${viewer ?? "operator"}`);
    }
  }
}
const small = clusters.filter((c) => c.size < DEFAULT_MIN_CLUSTER_SIZE);
console.log(
  `privacy: ${small.length} cluster(s) below ${DEFAULT_MIN_CLUSTER_SIZE}; visible outside their tenant: ${leaks.length}`,
);
for (const leak of leaks) console.log(`  leak: ${leak}`);
process.exit(ari >= TARGET_ARI && leaks.length === 0 ? 0 : 1);
