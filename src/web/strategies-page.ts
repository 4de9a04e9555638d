/** `/ui/strategies`: the leaderboard of strategies per alert class. */
import { formatDuration, formatNumber, formatPercent } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import type { AlertClassStats } from "./strategy-stats.ts";

export function renderStrategiesPage(classes: AlertClassStats[], description: string): SafeHtml {
  const hasSuccessRate = classes.some((c) => c.strategies.some((s) => s.successRate !== undefined));
  return html`<h1>Strategies</h1>
<p class="muted">How each strategy has done, per alert class (alert name and the keys of its labels). ${description}</p>
${
  classes.length === 0
    ? html`<div class="empty">No finished investigations yet, so there is nothing to rank. The leaderboard fills in as alerts are investigated.</div>`
    : classes.map(
        (c) => html`<section class="panel" data-alert-class="${c.alertClass}">
  <h2><code>${c.alertClass}</code> <span class="muted">· ${c.investigations} investigation${c.investigations === 1 ? "" : "s"}</span></h2>
  ${
    c.strategies.length === 0
      ? html`<p class="muted">No strategy ran for this class.</p>`
      : html`<table>
    <thead><tr><th>Strategy</th><th class="num">Runs</th><th class="num">Backed the final cause</th><th class="num">Abstentions</th>${hasSuccessRate ? html`<th class="num">Success rate</th>` : ""}<th class="num">Mean duration</th><th class="num">Mean tool calls</th></tr></thead>
    <tbody>${c.strategies.map(
      (s) => html`<tr>
      <td>${s.strategy}</td>
      <td class="num">${s.runs}</td>
      <td class="num">${s.topCandidate} <span class="muted">(${formatPercent(s.runs > 0 ? s.topCandidate / s.runs : null)})</span></td>
      <td class="num">${s.abstentions}</td>
      ${hasSuccessRate ? html`<td class="num">${formatPercent(s.successRate)}</td>` : ""}
      <td class="num">${formatDuration(s.meanDurationMs)}</td>
      <td class="num">${formatNumber(s.meanToolCalls)}</td>
    </tr>`,
    )}</tbody>
  </table>`
  }
</section>`,
      )
}`;
}
