import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LlmClient } from "../../agents/llm/client.ts";
import { parseLlmConfig } from "../../agents/llm/config.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../../test/fakes/openai-server.ts";
import { adjustedRandIndex } from "./adjusted-rand-index.ts";
import {
  clusterAssignments,
  clusterFacets,
  formatInsights,
  type InvestigationCluster,
  insights,
  tfidf,
  visibleClusters,
} from "./clusters.ts";
import { syntheticCorpus, THEMES } from "./synthetic-facets.ts";

describe("src/quality/adjusted-rand-index", () => {
  it("is 1 for the same partition under other names, and about 0 or below for an unrelated one", () => {
    assert.equal(adjustedRandIndex([0, 0, 1, 1, 2, 2], ["a", "a", "b", "b", "c", "c"]), 1);
    assert.ok(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 1, 0, 1, 0, 1]) < 0.05);
    // Known value: sklearn.metrics.adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714…
    assert.ok(Math.abs(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2]) - 4 / 7) < 1e-9);
  });
});

describe("src/quality/clusters", () => {
  const corpus = syntheticCorpus({ seed: 7, perTheme: 12, smallThemeSize: 3 });

  it("recovers the themes of a seeded corpus (ARI ≥ 0.8)", async () => {
    const { labels } = await clusterAssignments(corpus.facets);

    const ari = adjustedRandIndex(corpus.themes, labels);

    assert.ok(ari >= 0.8, `adjusted Rand index ${ari.toFixed(3)}`);
  });

  it("does not find themes that are not there: an unrelated split scores low", async () => {
    const shuffled = corpus.themes.map((_, i) => String(i % THEMES.length));

    assert.ok(adjustedRandIndex(shuffled, (await clusterAssignments(corpus.facets)).labels) < 0.2);
  });

  it("describes each cluster: size, 👎 rate, abstain rate, median time, name, label, ids", async () => {
    const clusters = await clusterFacets(corpus.facets);

    const byMember = (id: string) => clusters.find((c) => c.investigationIds.includes(id)) as InvestigationCluster;
    const lokiFacet = corpus.facets[corpus.themes.indexOf("2")];
    const topologyFacet = corpus.facets[corpus.themes.indexOf("1")];
    const cpuFacet = corpus.facets[corpus.themes.indexOf("4")];
    const loki = byMember(lokiFacet?.investigationId ?? "");
    const topology = byMember(topologyFacet?.investigationId ?? "");
    const cpu = byMember(cpuFacet?.investigationId ?? "");
    assert.equal(loki.label, "missing-capability");
    assert.match(loki.name, /logs unreadable/);
    assert.equal(topology.label, "missing-inventory");
    assert.match(topology.name, /no topology/);
    assert.equal(cpu.failure, false);
    assert.equal(cpu.label, undefined);
    assert.ok((cpu.downRate ?? 1) < 0.5);
    assert.equal(
      clusters.reduce((n, c) => n + c.size, 0),
      corpus.facets.length,
    );
    for (const c of clusters) {
      assert.equal(c.investigationIds.length, c.size);
      assert.ok(c.abstainRate >= 0 && c.abstainRate <= 1);
      assert.ok(c.medianTimeToFindingMs > 0);
    }
  });

  it("never shows a cluster below the minimum size outside its own tenant", async () => {
    const clusters = await clusterFacets(corpus.facets);
    const small = clusters.filter((c) => c.size < 5);
    assert.ok(small.length > 0, "the corpus has a small single-tenant theme");
    const tenants = [...new Set(corpus.facets.map((f) => f.tenant))];

    for (const viewer of [undefined, ...tenants]) {
      for (const c of visibleClusters(clusters, viewer)) {
        if (c.size < 5) assert.deepEqual(c.tenants, [viewer], `${c.name} leaked to ${viewer}`);
      }
    }
    assert.ok(
      visibleClusters(clusters, corpus.smallTenant).some((c) => c.size < 5),
      "its own tenant does see it",
    );
    assert.equal(visibleClusters(clusters, corpus.smallTenant, 1).length, clusters.length);
  });

  it("keeps other tenants' investigation ids out of a viewer's report", async () => {
    const viewer = corpus.facets[0]?.tenant as string;
    const own = new Set(corpus.facets.filter((f) => f.tenant === viewer).map((f) => f.investigationId));

    const report = await insights(corpus.facets, { viewerTenant: viewer });

    for (const c of report.clusters) for (const id of c.investigationIds) assert.ok(own.has(id));
    assert.equal(report.investigations, corpus.facets.length);
    assert.match(formatInsights(report), /^Insights: \d+ investigations, \d+ clusters shown/);
    const operator = await insights(corpus.facets);
    assert.ok(operator.hiddenClusters >= 1);
  });

  it("clusters with embeddings when given an embed function", async () => {
    // A stand-in embedding: the TF-IDF vectors themselves, through the embed path.
    const embed = async (texts: string[]) => tfidf(texts.map((t) => t.split(" ")));

    const { labels } = await clusterAssignments(corpus.facets, { embed });

    assert.ok(adjustedRandIndex(corpus.themes, labels) >= 0.8);
  });
});

describe("src/quality/clusters (LLM names)", () => {
  let llm: FakeOpenAI;
  before(async () => {
    llm = await startFakeOpenAI();
  });
  after(() => llm.stop());

  it("lets the LLM rename clusters from their facets only, and keeps the facet name when it fails", async () => {
    const corpus = syntheticCorpus({ seed: 3, perTheme: 6, smallThemeSize: 0 });
    const facetNames = (await clusterFacets(corpus.facets)).map((c) => c.name);
    llm.push({ json: { name: "Latency alerts without traces" }, expectJsonSchema: true }, { malformed: true });
    const client = new LlmClient(parseLlmConfig({ baseURL: llm.baseURL, model: "m", timeoutMs: 2000 }));
    const sent = llm.chatRequests.length;

    const clusters = await clusterFacets(corpus.facets, { llm: client });

    assert.equal(clusters[0]?.name, "Latency alerts without traces");
    assert.equal(clusters[1]?.name, facetNames[1], "a malformed answer keeps the facet name");
    const prompt = JSON.stringify(llm.chatRequests[sent]?.body.messages);
    for (const f of corpus.facets) assert.ok(!prompt.includes(f.investigationId) && !prompt.includes(f.tenant));
  });
});
