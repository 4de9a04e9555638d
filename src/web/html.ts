/**
 * HTML with escaping by default. Everything the UI shows (alert labels, annotations, log lines, queries, span
 * attributes) is untrusted, so every interpolation is escaped unless it is itself a `SafeHtml` built by this
 * module. There is no way to mark an arbitrary string as safe besides `unsafeRaw`, which only static markup uses.
 *
 * @example
 * const row = html`<tr><td>${alert.alertname}</td><td>${link(evidence.link, "open")}</td></tr>`;
 * sendHtml(res, 200, render(row));
 */

/** A fragment of HTML that is already safe to emit. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | HtmlValue[];

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/** Escape text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

function renderValue(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(renderValue).join("");
  return escapeHtml(String(value));
}

/** Tagged template: the literal parts are trusted markup, every `${}` is escaped (arrays are joined). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  for (const [index, value] of values.entries()) {
    out += renderValue(value) + (strings[index + 1] ?? "");
  }
  return new SafeHtml(out);
}

/** Static markup written in this codebase (never data). */
export function unsafeRaw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

export function render(fragment: SafeHtml): string {
  return fragment.value;
}

/**
 * The URL when it is an absolute http(s) URL, else undefined. `javascript:`, `data:`, `vbscript:` and relative
 * tricks (`//evil`, `\\evil`) never become an href.
 */
export function safeHttpUrl(url: string | undefined | null): string | undefined {
  if (!url) return undefined;
  // The WHATWG parser is what the browser will use: it drops tabs and newlines ("java\tscript:") and rejects
  // relative URLs without a base, so judging its protocol judges what a click would do.
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
    return parsed.href;
  } catch {
    return undefined;
  }
}

/** An outbound link when the URL is http(s); otherwise the text alone (the URL in <code> when there is no text). */
export function externalLink(url: string | undefined | null, text: HtmlValue): SafeHtml {
  const href = safeHttpUrl(url);
  if (!href) return html`${text}`;
  return html`<a href="${href}" rel="noopener noreferrer" target="_blank">${text}</a>`;
}

/** A link inside the UI: only paths that start with a single "/" are accepted. */
export function internalHref(path: string): string {
  return /^\/(?![/\\])/.test(path) ? path : "/";
}
