/** `/ui/investigations`: the table of investigations with filters and pagination. */
import { formatDuration, formatPercent, formatTime } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import {
  INVESTIGATION_STATUSES,
  type InvestigationListItem,
  type InvestigationPage,
  type ListQuery,
} from "./queries.ts";

export interface InvestigationsPageInput {
  page: InvestigationPage;
  query: ListQuery;
  filters: { services: string[]; alertnames: string[] };
}

export function investigationHref(id: string): string {
  return `/ui/investigations/${encodeURIComponent(id)}`;
}

/** The list URL for the same filters on another page. */
export function listHref(query: ListQuery, page: number): string {
  const params = new URLSearchParams();
  if (query.status) params.set("status", query.status);
  if (query.service) params.set("service", query.service);
  if (query.alertname) params.set("alertname", query.alertname);
  if (query.pageSize !== 25) params.set("pageSize", String(query.pageSize));
  if (page > 1) params.set("page", String(page));
  const qs = params.toString();
  return `/ui/investigations${qs ? `?${qs}` : ""}`;
}

function options(values: string[], selected: string | undefined, anyLabel: string): SafeHtml {
  // A filter value not among the known ones (typed into the URL) stays selectable so the form reflects the URL.
  const all = selected && !values.includes(selected) ? [selected, ...values] : values;
  return html`<option value="">${anyLabel}</option>${all.map(
    (v) => html`<option value="${v}"${v === selected ? html` selected` : ""}>${v}</option>`,
  )}`;
}

export function statusBadge(status: string, abstained?: boolean | null): SafeHtml {
  if (status === "done" && abstained) return html`<span class="badge abstained">no conclusive cause</span>`;
  return html`<span class="badge ${status}">${status}</span>`;
}

function row(item: InvestigationListItem): SafeHtml {
  const cause =
    item.status === "failed"
      ? html`<span class="error-text">${item.error ?? "failed"}</span>`
      : item.likelyCause
        ? html`${item.abstained ? html`<span class="muted">lead: </span>` : ""}${item.likelyCause}`
        : html`<span class="muted">—</span>`;
  return html`<tr data-id="${item.id}">
    <td class="wrap"><a href="${investigationHref(item.id)}">${item.alertname}</a></td>
    <td>${item.service ?? html`<span class="muted">—</span>`}</td>
    <td>${statusBadge(item.status, item.abstained)}</td>
    <td class="wrap">${cause}</td>
    <td class="num">${formatPercent(item.confidence)}</td>
    <td>${item.feedback ?? "—"}</td>
    <td class="num">${formatDuration(item.durationMs)}</td>
    <td class="num"><time datetime="${item.createdAt}">${formatTime(item.createdAt)}</time></td>
  </tr>`;
}

export function renderInvestigationsPage({ page, query, filters }: InvestigationsPageInput): SafeHtml {
  const filtered = Boolean(query.status || query.service || query.alertname);
  const first = (page.page - 1) * page.pageSize + 1;
  const last = Math.min(page.total, page.page * page.pageSize);
  return html`<h1>Investigations</h1>
<p class="muted">Every alert Vigil investigated, newest first.</p>
<form class="filters" method="get" action="/ui/investigations">
  <label>Status <select name="status">${options([...INVESTIGATION_STATUSES], query.status, "any")}</select></label>
  <label>Service <select name="service">${options(filters.services, query.service, "any")}</select></label>
  <label>Alert name <select name="alertname">${options(filters.alertnames, query.alertname, "any")}</select></label>
  <button type="submit">Filter</button>
  ${filtered ? html`<a class="button-link" href="/ui/investigations">Clear</a>` : ""}
</form>
${
  page.items.length === 0
    ? html`<div class="empty">${
        filtered
          ? "No investigation matches these filters."
          : "No investigations yet. Point Alertmanager at POST /webhooks/alertmanager, mention @vigil under an alert in Slack, or run vigil investigate."
      }</div>`
    : html`<table>
  <thead><tr><th>Alert</th><th>Service</th><th>Status</th><th>Likely cause</th><th class="num">Confidence</th><th>Feedback</th><th class="num">Duration</th><th class="num">Created</th></tr></thead>
  <tbody>${page.items.map(row)}</tbody>
</table>
<nav class="pagination" aria-label="Pages">
  ${page.page > 1 ? html`<a rel="prev" href="${listHref(query, page.page - 1)}">← Newer</a>` : ""}
  <span class="muted">${first}–${last} of ${page.total} · page ${page.page} of ${page.pages}</span>
  ${page.page < page.pages ? html`<a rel="next" href="${listHref(query, page.page + 1)}">Older →</a>` : ""}
</nav>`
}`;
}
