/**
 * `/ui/investigations/:id`: the summary as Slack shows it, every candidate with its evidence, what each strategy
 * did (with its tool calls), what it cost, and the trace as a waterfall.
 */
import type { Candidate, Evidence, InvestigationResult } from "../../agents/types.ts";
import type { InvestigationRecord } from "../store/investigations.ts";
import { formatBytes, formatDuration, formatNumber, formatPercent, formatTime } from "./format.ts";
import { externalLink, html, type SafeHtml } from "./html.ts";
import { statusBadge } from "./investigations-page.ts";
import { renderTrace, type StrategyCost, strategyCosts, strategyToolCalls, type ToolCallView } from "./trace-view.ts";

const MAX_EVIDENCE_BULLETS = 5;

export function renderInvestigationPage(record: InvestigationRecord, nonce: string): SafeHtml {
  const running = record.status === "queued" || record.status === "running";
  return html`${header(record)}
${running ? liveProgress(record, nonce) : ""}
${record.status === "failed" ? html`<div class="panel"><h2>Failed</h2><pre class="block error-text">${record.error ?? "unknown error"}</pre></div>` : ""}
${record.result ? resultSections(record.result, record.id) : running ? "" : html`<div class="empty">No result was stored.</div>`}
<p class="muted"><a href="/api/investigations/${encodeURIComponent(record.id)}">Result JSON</a></p>`;
}

function header(record: InvestigationRecord): SafeHtml {
  const { alert } = record;
  const labels = Object.keys(alert.labels ?? {})
    .sort()
    .map((key) => html`<code>${key}=${alert.labels[key]}</code> `);
  const description = alert.annotations?.summary ?? alert.annotations?.description;
  return html`<p class="muted"><a href="/ui/investigations">← Investigations</a></p>
<h1>${alert.alertname} ${statusBadge(record.status, record.result?.abstained)}</h1>
${description ? html`<p>${description}</p>` : ""}
<div class="meta">
  <span>Service: <strong>${record.service ?? "—"}</strong></span>
  <span>Source: ${record.source}</span>
  <span>Alert started: ${formatTime(alert.startsAt)}</span>
  <span>Created: ${formatTime(record.createdAt)}</span>
  ${record.finishedAt ? html`<span>Finished: ${formatTime(record.finishedAt)}</span>` : ""}
  ${alert.generatorURL ? html`<span>${externalLink(alert.generatorURL, "Alert source")}</span>` : ""}
  <span class="mono">${record.id}</span>
</div>
<p class="labels">${labels}</p>`;
}

/**
 * While the investigation runs: the SSE endpoint pushes status changes and the page reloads once it is finished.
 * Without JavaScript, a meta refresh in <noscript> polls instead.
 */
function liveProgress(record: InvestigationRecord, nonce: string): SafeHtml {
  const eventsUrl = `/api/investigations/${encodeURIComponent(record.id)}/events`;
  return html`<div class="live" id="live" data-events="${eventsUrl}">Investigating… status: <strong id="live-status">${record.status}</strong></div>
<noscript><meta http-equiv="refresh" content="3"></noscript>
<script nonce="${nonce}">
(() => {
  const live = document.getElementById("live");
  const status = document.getElementById("live-status");
  const source = new EventSource(live.dataset.events);
  source.addEventListener("status", (event) => {
    const data = JSON.parse(event.data);
    status.textContent = data.status;
    if (data.status === "done" || data.status === "failed") {
      source.close();
      location.reload();
    }
  });
  source.addEventListener("error", () => {
    // The stream ended or the daemon restarted: fall back to polling the page.
    source.close();
    setTimeout(() => location.reload(), 3000);
  });
})();
</script>`;
}

function resultSections(result: InvestigationResult, investigationId: string): SafeHtml {
  const trace = result.trace;
  const names = result.strategies.map((s) => s.name);
  const costs = trace ? strategyCosts(trace, names) : undefined;
  return html`${summarySection(result)}
<h2>Candidates</h2>
${result.candidates.length === 0 ? html`<div class="empty">No candidate cause was found.</div>` : result.candidates.map((c, i) => candidateSection(c, i, investigationId))}
<h2>Strategies</h2>
${
  result.strategies.length === 0
    ? html`<div class="empty">No strategy ran.</div>`
    : html`<div class="cards">${result.strategies.map((s) => strategyCard(result, s))}</div>`
}
${costs ? costSection(costs, result) : ""}
${toolErrorsSection(result)}
<h2>Trace</h2>
${
  trace
    ? html`<p class="muted">Every path the investigation took. Bars are placed by start and end relative to the investigation span. Trace id <code>${trace.traceId}</code>.</p>${renderTrace(trace)}`
    : html`<div class="empty">No trace was recorded for this investigation.</div>`
}`;
}

function evidenceIndex(result: InvestigationResult): Map<string, Evidence> {
  const byId = new Map<string, Evidence>();
  for (const candidate of result.candidates) {
    for (const evidence of candidate.evidence) byId.set(evidence.id, evidence);
  }
  return byId;
}

/** A piece of evidence opens where it lives: its deep link when there is one, else its reference in <code>. */
function evidenceItem(text: string, link: string | undefined, ref: string | undefined): SafeHtml {
  if (link) {
    const linked = externalLink(link, text);
    // A link that is not http(s) is not rendered as a link; keep its reference visible instead.
    return linked.value.startsWith("<a ") ? linked : html`${text}${ref ? html` <code>${ref}</code>` : ""}`;
  }
  return html`${text}${ref ? html` <code>${ref}</code>` : ""}`;
}

function summaryEvidence(result: InvestigationResult): SafeHtml[] {
  const byId = evidenceIndex(result);
  const items = result.summary.evidence.map((item) => {
    const record = byId.get(item.evidenceId);
    return evidenceItem(item.text, item.link ?? record?.link, record?.ref);
  });
  const cited = new Set(result.summary.evidence.map((item) => item.evidenceId));
  // As in Slack: at least two bullets when the top candidate has evidence to show.
  for (const evidence of result.candidates[0]?.evidence ?? []) {
    if (items.length >= 2) break;
    if (cited.has(evidence.id)) continue;
    items.push(evidenceItem(evidence.summary, evidence.link, evidence.ref));
  }
  return items.slice(0, MAX_EVIDENCE_BULLETS);
}

function strongestLead(result: InvestigationResult): string | undefined {
  const top = result.candidates[0];
  return top ? `${top.mechanism} in ${top.entity ?? top.service}` : undefined;
}

function list(items: Array<SafeHtml | string>): SafeHtml {
  return html`<ul class="tight">${items.map((item) => html`<li>${item}</li>`)}</ul>`;
}

function summarySection(result: InvestigationResult): SafeHtml {
  const { summary } = result;
  const evidence = summaryEvidence(result);
  if (result.abstained) {
    const lead = summary.likelyCause ?? strongestLead(result);
    return html`<section class="panel" aria-label="Summary">
  <p class="headline">No conclusive cause for ${result.alert.alertname} yet.</p>
  <p>${lead ? html`Strongest lead: <strong>${lead}</strong> (confidence ${formatPercent(summary.confidence)}, below the threshold).` : "No lead stood out."}</p>
  ${summary.whatIsGoingOn ? html`<p>${summary.whatIsGoingOn}</p>` : ""}
  <dl class="summary-grid">
    ${summary.whyNotHigher.length > 0 ? html`<dt>Why not higher</dt><dd>${list(summary.whyNotHigher)}</dd>` : ""}
    ${evidence.length > 0 ? html`<dt>Closest evidence</dt><dd>${list(evidence)}</dd>` : ""}
    ${summary.nextSteps.length > 0 ? html`<dt>Next steps</dt><dd>${list(summary.nextSteps)}</dd>` : ""}
  </dl>
  ${footer(result)}
</section>`;
  }
  const cause = summary.likelyCause ?? strongestLead(result) ?? "unclear";
  return html`<section class="panel" aria-label="Summary">
  <p class="headline">${summary.headline || `${result.alert.alertname}: likely cause found`}</p>
  <dl class="summary-grid">
    ${summary.whatIsGoingOn ? html`<dt>What is going on</dt><dd>${summary.whatIsGoingOn}</dd>` : ""}
    <dt>Likely cause <span class="badge done">confidence ${formatPercent(summary.confidence)}</span></dt>
    <dd>${cause}${summary.whyNotHigher.length > 0 ? html`<div class="muted">Why not higher: ${summary.whyNotHigher.join("; ")}</div>` : ""}</dd>
    ${evidence.length > 0 ? html`<dt>Evidence</dt><dd>${list(evidence)}</dd>` : ""}
    ${summary.ruledOut.length > 0 ? html`<dt>Ruled out</dt><dd>${list(summary.ruledOut)}</dd>` : ""}
    ${summary.nextSteps.length > 0 ? html`<dt>Next steps</dt><dd>${list(summary.nextSteps)}</dd>` : ""}
  </dl>
  ${footer(result)}
</section>`;
}

function footer(result: InvestigationResult): SafeHtml {
  const tokens = result.llm.promptTokens + result.llm.completionTokens;
  return html`<div class="meta">
  <span>${result.strategies.length} strategies</span>
  <span>${result.toolCalls.length} queries</span>
  <span>${formatDuration(result.durationMs)}</span>
  <span>${result.llm.used ? `LLM-assisted · ${tokens} tokens` : "no LLM"}</span>
  <span>Window ${formatTime(result.window.from)} → ${formatTime(result.window.to)}</span>
</div>`;
}

/**
 * Per-hypothesis feedback: a plain form (no script), posted with the session cookie. The cookie is SameSite=Lax, so
 * another site cannot post it on a user's behalf.
 */
function hypothesisFeedback(candidate: Candidate, investigationId: string): SafeHtml {
  const strategy = candidate.strategies[0] ?? "";
  return html`<form class="feedback" method="post" action="/ui/investigations/${encodeURIComponent(investigationId)}/feedback">
  <input type="hidden" name="service" value="${candidate.service}">
  <input type="hidden" name="strategy" value="${strategy}">
  <span class="muted">Is this the cause?</span>
  <button name="verdict" value="correct">Correct</button>
  <button name="verdict" value="partial">Not quite</button>
  <button name="verdict" value="wrong">Wrong</button>
</form>`;
}

function candidateSection(candidate: Candidate, index: number, investigationId: string): SafeHtml {
  return html`<div class="panel candidate">
  <h3>${index + 1}. ${candidate.mechanism} in ${candidate.entity ?? candidate.service} <span class="score">· score ${formatNumber(candidate.score, 2)} · ${candidate.faultClass} · from ${candidate.strategies.join(", ")}</span></h3>
  ${
    candidate.evidence.length === 0
      ? html`<p class="muted">No evidence records.</p>`
      : list(
          candidate.evidence.map(
            (e) =>
              html`<span class="badge">${e.type}</span> ${evidenceItem(e.summary, e.link, e.ref)} <span class="muted">${formatTime(e.from)} → ${formatTime(e.to)}</span>`,
          ),
        )
  }
  ${hypothesisFeedback(candidate, investigationId)}
</div>`;
}

function strategyCard(result: InvestigationResult, strategy: InvestigationResult["strategies"][number]): SafeHtml {
  const calls = strategyToolCalls(result.trace, strategy.name);
  const failing = calls.filter((c) => c.error).length;
  return html`<article class="card${strategy.errors.length > 0 || failing > 0 ? " has-error" : ""}" data-strategy="${strategy.name}">
  <h3>${strategy.name}</h3>
  <div class="stats">
    <span>${formatDuration(strategy.durationMs)}</span>
    <span>${strategy.toolCalls} tool calls</span>
    ${strategy.topCandidate ? html`<span>top: ${strategy.topCandidate}</span>` : html`<span>no hypothesis</span>`}
  </div>
  ${strategy.checked.length > 0 ? html`<div>Checked: ${list(strategy.checked)}</div>` : html`<p class="muted">Checked nothing.</p>`}
  ${strategy.errors.length > 0 ? html`<div class="error-text">Could not read: ${list(strategy.errors)}</div>` : ""}
  <details>
    <summary>Tool calls (${calls.length}${failing > 0 ? `, ${failing} failed` : ""})</summary>
    ${
      // The trace parents a call to the graph node running it; calls it could not place sit under the investigation.
      result.trace && calls.length < strategy.toolCalls
        ? html`<p class="muted">${calls.length} of ${strategy.toolCalls} calls are traced under this strategy; the others appear under the investigation span in the trace.</p>`
        : ""
    }
    ${calls.length === 0 ? html`<p class="muted">${result.trace ? "No tool calls recorded under this strategy." : "No trace recorded."}</p>` : toolCallTable(calls)}
  </details>
</article>`;
}

function toolCallTable(calls: ToolCallView[]): SafeHtml {
  return html`<div class="table-scroll"><table class="tool-calls">
  <thead><tr><th>Backend</th><th>Operation</th><th>Query</th><th>Range</th><th class="num">Duration</th><th class="num">Rows</th><th class="num">Bytes</th><th>Cache</th><th>Truncated</th></tr></thead>
  <tbody>${calls.map(
    (c) => html`<tr class="${c.error ? "error" : ""}">
    <td>${c.backend}</td>
    <td>${c.operation}</td>
    <td class="wrap"><code>${c.query}</code>${c.error ? html`<div class="error-text">${c.error}</div>` : ""}</td>
    <td class="mono">${c.range ? html`${c.range.from.slice(11, 19)}–${c.range.to.slice(11, 19)}` : "—"}</td>
    <td class="num">${formatDuration(c.durationMs)}</td>
    <td class="num">${formatNumber(c.rows)}</td>
    <td class="num">${formatBytes(c.bytes)}</td>
    <td>${c.cacheHit ? "hit" : "miss"}</td>
    <td>${c.truncated ? html`<span class="error-text">yes</span>` : "no"}</td>
  </tr>`,
  )}</tbody>
</table></div>`;
}

function costSection(costs: StrategyCost[], result: InvestigationResult): SafeHtml {
  const rows = costs.filter((c) => c.name !== "" || c.queries > 0 || c.llmCalls > 0);
  return html`<h2>Cost per strategy</h2>
<table>
  <thead><tr><th>Strategy</th><th class="num">Queries</th><th class="num">Cache hits</th><th class="num">Failed</th><th class="num">LLM calls</th><th class="num">Input tokens</th><th class="num">Output tokens</th></tr></thead>
  <tbody>${rows.map(
    (c) => html`<tr>
    <td>${c.name || html`<span class="muted">outside strategies (planning, synthesis, report)</span>`}</td>
    <td class="num">${c.queries}</td><td class="num">${c.cacheHits}</td><td class="num">${c.errors}</td>
    <td class="num">${c.llmCalls}</td><td class="num">${c.inputTokens}</td><td class="num">${c.outputTokens}</td>
  </tr>`,
  )}</tbody>
</table>
${result.llm.used && result.llm.costUsd !== undefined ? html`<p class="muted">LLM cost of the investigation: $${result.llm.costUsd.toFixed(4)}</p>` : ""}`;
}

function toolErrorsSection(result: InvestigationResult): SafeHtml {
  const failed = result.toolCalls.filter((c) => c.error);
  const sourceErrors = result.strategies.flatMap((s) => s.errors.map((e) => ({ strategy: s.name, error: e })));
  if (failed.length === 0 && sourceErrors.length === 0) return html``;
  return html`<h2>Tool errors</h2>
<div class="panel">
  ${list([
    ...failed.map(
      (c) =>
        html`<span class="badge error">${c.backend} ${c.operation}</span> <span class="error-text">${c.error}</span> <code>${c.query}</code>`,
    ),
    ...sourceErrors.map((e) => html`<span class="badge error">${e.strategy}</span> could not read ${e.error}`),
  ])}
</div>`;
}
