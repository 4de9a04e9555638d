import { z } from "zod";
import { redactText } from "../../tools/redact/redact.ts";
import type { Evidence, Summary } from "../types.ts";
import type { LlmClient, LlmMessage } from "./client.ts";
import { fenceUntrusted } from "./fence.ts";
import { loadPrompt } from "./prompts.ts";

/** Most evidence records sent to the model; the summary's bullets never cite more than five. */
const MAX_RECORDS = 20;
const MAX_SENTENCE_CHARS = 400;
const MAX_WHAT_SENTENCES = 3;
const MAX_NEXT_STEPS = 4;

// No length keywords in the schema: strict structured outputs reject some of them; limits are applied after.
const sentenceSchema = z.object({ text: z.string(), evidenceIds: z.array(z.string()) });
export const rewriteSchema = z.object({
  headline: sentenceSchema,
  whatIsGoingOn: z.array(sentenceSchema),
  nextSteps: z.array(sentenceSchema),
});
export type RewriteAnswer = z.infer<typeof rewriteSchema>;
export interface CitedSentence {
  text: string;
  evidenceIds: string[];
}

export interface RewriteOutcome {
  summary: Summary;
  /** True when at least one rephrased sentence survived verification and is in `summary`. */
  used: boolean;
  /** Every sentence the verifier removed, as "reason: sentence". */
  dropped: string[];
}

/** Plain words that name components when they end like one ("cartservice", "orders-db"). */
const COMPONENT_SUFFIX = /^[a-z][a-z0-9]*(?:service|svc|db|api|server|worker|proxy|cache|queue|gateway|redis|mysql)$/i;
const COMPONENT_WORDS = new Set([
  "service",
  "server",
  "api",
  "db",
  "cache",
  "queue",
  "gateway",
  "proxy",
  "worker",
  "microservice",
  "webserver",
  "observer",
]);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?$/;
const NUMBER_TOKEN = /^[-+]?(\d+(?:\.\d+)?)(?:%|[a-z]{1,3})?$/i;

interface Grounding {
  /** Lower-cased text of the cited records (and the deterministic likely cause). */
  text: string;
  numbers: Set<string>;
  from: number;
  to: number;
}

function normalNumber(value: number): string {
  return String(Number(value));
}

function numberVariants(value: number, out: Set<string>): void {
  if (!Number.isFinite(value)) return;
  out.add(normalNumber(value));
  for (let digits = 0; digits <= 3; digits += 1) out.add(normalNumber(Number(value.toFixed(digits))));
  for (let precision = 1; precision <= 4; precision += 1) out.add(normalNumber(Number(value.toPrecision(precision))));
}

function numbersIn(text: string, out: Set<string>): void {
  for (const match of text.matchAll(/\d+(?:\.\d+)?/g)) numberVariants(Number(match[0]), out);
}

function tokensOf(text: string): string[] {
  return text
    .split(/[\s,;()"'`[\]{}!?<>]+/)
    .map((t) => t.replace(/^[.:]+|[.:]+$/g, ""))
    .filter(Boolean);
}

/** A token with the shape of a component name: letters mixed with digits, `_`, or inner `-`/`.` separators. */
function looksLikeIdentifier(token: string): boolean {
  if (!/[a-z]/i.test(token)) return false;
  if (/[_/]/.test(token)) return true;
  if (/\d/.test(token) && /[a-z]/i.test(token)) return true;
  if (/^[a-z0-9]+(?:[-.][a-z0-9]+)+$/i.test(token)) {
    // "orders-db", "cart-service"; not "follow-up" or "read-only".
    return token
      .toLowerCase()
      .split(/[-.]/)
      .some((s) => COMPONENT_WORDS.has(s) || COMPONENT_SUFFIX.test(s));
  }
  return COMPONENT_SUFFIX.test(token) && !COMPONENT_WORDS.has(token.toLowerCase());
}

function groundingOf(cited: Evidence[], extra: string[], confidence: number): Grounding {
  const parts: string[] = [...extra];
  const numbers = new Set<string>();
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const e of cited) {
    parts.push(e.summary, e.ref, e.service ?? "", e.kind ?? "");
    for (const v of [e.score, e.baseline, e.observed]) if (v !== undefined) numberVariants(v, numbers);
    from = Math.min(from, e.from);
    to = Math.max(to, e.to);
  }
  const text = parts.join("\n");
  numbersIn(text, numbers);
  numberVariants(Math.round(confidence * 100), numbers);
  return { text: text.toLowerCase(), numbers, from, to };
}

/**
 * Why a sentence cannot be shown, or undefined when every component and number it names is grounded in the
 * evidence it cites. `known` holds the component names seen anywhere in the investigation.
 */
export function verifySentence(
  sentence: CitedSentence,
  records: Map<string, Evidence>,
  context: { likelyCause?: string; alertSubject?: string; confidence: number; known: Set<string> },
): string | undefined {
  const ids = [...new Set(sentence.evidenceIds)];
  if (ids.length === 0) return "cites no evidence";
  const unknown = ids.filter((id) => !records.has(id));
  if (unknown.length > 0) return `cites unknown evidence id ${unknown.join(", ")}`;
  const cited = ids.map((id) => records.get(id) as Evidence);
  const extra = [context.likelyCause ?? "", context.alertSubject ?? ""];
  const grounding = groundingOf(cited, extra, context.confidence);
  for (const token of tokensOf(sentence.text)) {
    const lower = token.toLowerCase();
    if (ISO_TIME.test(token)) {
      const t = Date.parse(token);
      if (grounding.text.includes(lower) || (t >= grounding.from && t <= grounding.to)) continue;
      return `names time ${token} outside the cited evidence`;
    }
    const number = NUMBER_TOKEN.exec(token);
    if (number) {
      const value = Number(number[1]);
      if (grounding.numbers.has(normalNumber(value))) continue;
      // "75%" is grounded by a ratio of 0.75 in the evidence.
      if (token.endsWith("%") && grounding.numbers.has(normalNumber(Number((value / 100).toPrecision(6))))) continue;
      return `names number ${token} not in the cited evidence`;
    }
    if (/^\d+(?:[:.]\d+)+$/.test(token)) {
      if (grounding.text.includes(lower)) continue;
      return `names number ${token} not in the cited evidence`;
    }
    const component = context.known.has(lower) || looksLikeIdentifier(token);
    if (component && !grounding.text.includes(lower)) return `names ${token} not in the cited evidence`;
  }
  return undefined;
}

function knownComponents(summary: Summary, evidence: Evidence[]): Set<string> {
  const known = new Set<string>();
  for (const e of evidence) if (e.service) known.add(e.service.toLowerCase());
  const texts = [
    summary.headline,
    summary.whatIsGoingOn,
    summary.likelyCause ?? "",
    ...summary.ruledOut,
    ...summary.nextSteps,
    ...evidence.map((e) => e.summary),
  ];
  for (const text of texts) {
    for (const token of tokensOf(text)) if (looksLikeIdentifier(token)) known.add(token.toLowerCase());
  }
  return known;
}

function evidenceBlock(e: Evidence): string {
  const facts = [
    `type: ${e.type}`,
    e.service ? `service: ${e.service}` : "",
    e.kind ? `kind: ${e.kind}` : "",
    `ref: ${e.ref}`,
    `window: ${new Date(e.from).toISOString()} .. ${new Date(e.to).toISOString()}`,
    `summary: ${e.summary}`,
  ].filter(Boolean);
  return fenceUntrusted(e.type, facts.join("\n"), { tag: "evidence", attributes: { id: e.id }, maxChars: 800 });
}

function messagesFor(summary: Summary, evidence: Evidence[]): LlmMessage[] {
  const draft = [
    `headline: ${summary.headline}`,
    `whatIsGoingOn: ${summary.whatIsGoingOn}`,
    `likelyCause: ${summary.likelyCause ?? "(none: the investigation abstained)"}`,
    `confidence: ${Math.round(summary.confidence * 100)}%`,
    `nextSteps:\n${summary.nextSteps.map((s) => `- ${s}`).join("\n")}`,
  ].join("\n");
  const ids = evidence.map((e) => e.id).join(", ");
  return [
    { role: "system", content: loadPrompt("rewrite-summary").content },
    {
      role: "user",
      content: [
        "The deterministic summary to rephrase:",
        fenceUntrusted("deterministic-summary", draft),
        `The evidence records (the only ids you may cite: ${ids || "none"}):`,
        ...evidence.map(evidenceBlock),
      ].join("\n\n"),
    },
  ];
}

function alertSubjectOf(summary: Summary): string {
  // The deterministic headline starts with the alert subject ("X on svc: likely caused by …").
  return summary.headline.split(":")[0] ?? "";
}

function clean(text: string): string {
  return redactText(text.replace(/\s+/g, " ").trim()).slice(0, MAX_SENTENCE_CHARS);
}

/**
 * Let the LLM rephrase the summary's prose; keep only sentences grounded in the evidence they cite. Evidence
 * bullets, confidence, likely cause and what was ruled out stay the deterministic ones. Any LLM failure returns
 * the deterministic summary unchanged with `used: false`.
 *
 * @example
 * const { summary: shown, used, dropped } = await rewriteSummary(summary, evidence, llm);
 */
export async function rewriteSummary(
  summary: Summary,
  evidence: Evidence[],
  client: LlmClient,
  options: { signal?: AbortSignal } = {},
): Promise<RewriteOutcome> {
  const unchanged: RewriteOutcome = { summary, used: false, dropped: [] };
  const cited = new Set(summary.evidence.map((b) => b.evidenceId));
  // Records the summary cites first, so the cap never drops what the bullets stand on.
  const ordered = [...evidence].sort((a, b) => Number(cited.has(b.id)) - Number(cited.has(a.id)));
  const records = new Map<string, Evidence>();
  for (const e of ordered) if (records.size < MAX_RECORDS && !records.has(e.id)) records.set(e.id, e);
  if (records.size === 0) return unchanged;

  const answer = await client.chatJson(messagesFor(summary, [...records.values()]), rewriteSchema, "summary_rewrite", {
    purpose: "rewrite_summary",
    signal: options.signal,
  });
  if (!answer.ok) return unchanged;

  const context = {
    likelyCause: summary.likelyCause,
    alertSubject: alertSubjectOf(summary),
    confidence: summary.confidence,
    known: knownComponents(summary, evidence),
  };
  const dropped: string[] = [];
  const keep = (sentence: CitedSentence): boolean => {
    const text = clean(sentence.text);
    if (!text) return false;
    const problem = verifySentence({ ...sentence, text }, records, context);
    if (problem) dropped.push(`${problem}: ${text}`);
    return !problem;
  };

  const headline = keep(answer.data.headline) ? clean(answer.data.headline.text) : undefined;
  // Verify every sentence (so `dropped` is complete), then keep the first few that survive.
  const what = answer.data.whatIsGoingOn
    .filter(keep)
    .slice(0, MAX_WHAT_SENTENCES)
    .map((s) => clean(s.text));
  const next = answer.data.nextSteps
    .filter(keep)
    .slice(0, MAX_NEXT_STEPS)
    .map((s) => clean(s.text));
  const used = Boolean(headline) || what.length > 0 || next.length > 0;
  return {
    summary: {
      ...summary,
      headline: headline ?? summary.headline,
      whatIsGoingOn: what.length > 0 ? what.join(" ") : summary.whatIsGoingOn,
      nextSteps: next.length > 0 ? next : summary.nextSteps,
    },
    used,
    dropped,
  };
}
