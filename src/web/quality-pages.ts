import type { RunComparison } from "../eval/compare.ts";
import type { InsightsReport } from "../quality/clusters.ts";
import type { Agreement } from "../quality/judge-store.ts";
import type { Judgment } from "../quality/judges.ts";
import { formatDuration, formatPercent } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";

function verdict(passed: boolean | null): SafeHtml {
  if (passed === null) return html`<span class="badge">not judged</span>`;
  return passed ? html`<span class="badge ok">pass</span>` : html`<span class="badge error">fail</span>`;
}

/** The checklist judges' verdicts, each with its reason and how often that criterion agrees with engineers. */
export function renderJudgments(judgment: Judgment | undefined, agreements: Agreement[]): SafeHtml {
  if (!judgment)
    return html`<section class="panel" aria-label="Quality checklist"><h2>Quality checklist</h2><p class="muted">Not judged yet.</p></section>`;
  const agreementOf = new Map(agreements.map((a) => [a.criterion, a]));
  const rows = judgment.criteria.map((c) => {
    const a = agreementOf.get(c.id);
    const agree = a && a.n > 0 ? `${formatPercent(a.ratio)} of ${a.n}` : "no feedback yet";
    return html`<tr><td><code>${c.id}</code></td><td>${verdict(c.passed)}</td><td>${c.reason}</td><td class="muted">${agree}</td></tr>`;
  });
  return html`<section class="panel" aria-label="Quality checklist">
<h2>Quality checklist</h2>
<table><thead><tr><th>Criterion</th><th>Verdict</th><th>Why</th><th>Agrees with 👍/👎</th></tr></thead><tbody>${rows}</tbody></table>
<p class="muted">Judged ${judgment.judgedAt}${judgment.judge.model ? ` by ${judgment.judge.model}` : " (deterministic criteria only)"}.</p>
</section>`;
}

/** Clusters of investigations: what Vigil cannot do yet, as missing capability or missing inventory. */
export function renderInsightsPage(report: InsightsReport): SafeHtml {
  if (report.clusters.length === 0) {
    return html`<h1>Insights</h1><div class="empty">No clusters yet: ${report.investigations} finished investigations${report.hiddenClusters ? html`, ${report.hiddenClusters} clusters below the minimum size of ${report.minClusterSize} are not shown` : ""}.</div>`;
  }
  const rows = report.clusters.map(
    (c) => html`<tr>
<td>${c.name}${c.failure ? html` <span class="badge error">${c.label ?? "failure"}</span>` : ""}</td>
<td>${c.size}</td><td>${formatPercent(c.downRate)}</td><td>${formatPercent(c.abstainRate)}</td>
<td>${formatDuration(c.medianTimeToFindingMs)}</td>
<td>${c.investigationIds.slice(0, 5).map((id) => html`<a href="/ui/investigations/${encodeURIComponent(id)}">${id.slice(0, 8)}</a> `)}</td>
</tr>`,
  );
  return html`<h1>Insights</h1>
<p class="muted">${report.investigations} finished investigations grouped by their anonymized facets. Clusters smaller than ${report.minClusterSize} are not shown (${report.hiddenClusters} hidden).</p>
<table><thead><tr><th>Cluster</th><th>Size</th><th>👎</th><th>Abstained</th><th>Median time to finding</th><th>Investigations</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function delta(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return `${value >= 0 ? "+" : ""}${value.toFixed(3)}`;
}

/** Two eval runs case by case: what went right→wrong and wrong→right, scores before → after. */
export function renderComparisonPage(c: RunComparison, names: { before: string; after: string }): SafeHtml {
  const flips = (title: string, byClass: Record<string, string[]>) => {
    const items = Object.entries(byClass).flatMap(([cls, ids]) =>
      ids.map((id) => html`<li><code>${id}</code> (${cls})</li>`),
    );
    return html`<h2>${title}</h2>${items.length ? html`<ul>${items}</ul>` : html`<p class="muted">None.</p>`}`;
  };
  const o = c.sets.overall;
  const classes = Object.entries(c.sets.byFaultClass).map(
    ([cls, d]) =>
      html`<tr><td>${cls}</td><td>${d.before.ac1.toFixed(3)} → ${d.after.ac1.toFixed(3)}</td><td>${delta(d.delta.ac1)}</td></tr>`,
  );
  const judges = Object.entries(c.judges).map(
    ([id, j]) =>
      html`<tr><td><code>${id}</code></td><td>${j.before?.toFixed(3) ?? "—"} → ${j.after?.toFixed(3) ?? "—"}</td><td>${delta(j.delta)}</td></tr>`,
  );
  return html`<h1>Eval runs: ${names.before} → ${names.after}</h1>
<p>AC@1 ${o.before.ac1.toFixed(3)} → ${o.after.ac1.toFixed(3)} (${delta(o.delta.ac1)}), AC@3 ${o.before.ac3.toFixed(3)} → ${o.after.ac3.toFixed(3)} (${delta(o.delta.ac3)})</p>
${c.versions.changed.length ? html`<p class="muted">Changed: ${c.versions.changed.join(", ")}</p>` : ""}
${flips("Right → wrong", c.rightToWrong)}
${flips("Wrong → right", c.wrongToRight)}
<h2>Per fault class (AC@1)</h2><table><tbody>${classes}</tbody></table>
<h2>Judge pass ratios</h2><table><tbody>${judges}</tbody></table>`;
}
