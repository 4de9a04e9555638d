/**
 * Checklist judges: every finished investigation is checked against yes/no criteria, each with a one-line reason and
 * the quotes it rests on. Never a 1–10 score: a yes/no with a reason can be argued with and aggregated into a pass
 * ratio; a score cannot.
 *
 * Deterministic criteria are code. The two criteria that need judgment run through the OpenAI-compatible endpoint
 * when one is given, with structured output and temperature 0, on a client with its own ledger so the judge's tokens
 * and cost never count against the investigation. Without an LLM, or when it fails, they are `null` ("not judged"),
 * never guessed. Judging never changes the investigation result.
 *
 * @example
 * const judgment = await judgeInvestigation(result, { llm, budget: { maxTimeToFirstFindingMs: 60_000 } });
 * for (const c of judgment.criteria) console.log(c.id, c.passed, c.reason);
 */
import OpenAI from "openai";
import { z } from "zod";
import { DEFAULT_ABSTAIN_THRESHOLD } from "../../agents/investigate/investigate.ts";
import { LlmClient, type LlmMessage, type LlmUsage } from "../../agents/llm/client.ts";
import { DEFAULT_MAX_TOKENS_PER_INVESTIGATION } from "../../agents/llm/config.ts";
import { fenceUntrusted } from "../../agents/llm/fence.ts";
import type { Evidence, InvestigationResult } from "../../agents/types.ts";
import { containsSecret } from "../../tools/redact/redact.ts";
import { type JudgePromptName, judgePromptVersions, loadJudgePrompt } from "./judge-prompts.ts";

/** One yes/no criterion. `passed: null` means "not judged" (no LLM, or its answer was unusable). */
export interface CriterionResult {
  id: string;
  passed: boolean | null;
  /** One line. */
  reason: string;
  /** Short quotes the verdict rests on (never a secret: fields are named, not copied, when text is sensitive). */
  evidence?: string[];
}

export interface Judgment {
  criteria: CriterionResult[];
  /** ISO time. */
  judgedAt: string;
  judge: {
    /** The judge model, when LLM criteria ran. */
    model?: string;
    /** Judge prompt hashes, so a change of judge is visible in comparisons. */
    prompts: Record<string, string>;
    /** The judge's own LLM usage, apart from the investigation's. */
    usage?: LlmUsage;
  };
}

export interface JudgeBudget {
  maxTimeToFirstFindingMs: number; // default 60000
  maxToolCalls: number; // default 200
  /** LLM tokens (prompt + completion) the investigation may spend. */
  maxTokens: number; // default DEFAULT_MAX_TOKENS_PER_INVESTIGATION
  maxCostUsd?: number; // default unlimited
}

export interface JudgeOptions {
  /** Confidence below which Vigil abstains; default the investigation's default. */
  abstainThreshold?: number;
  budget?: Partial<JudgeBudget>;
  /** Customer identifiers that must never appear in a summary (names of customers, tenants, accounts). */
  customerTerms?: string[];
  /** An OpenAI-compatible model for the judgment criteria; a fresh ledger is used, this client's is untouched. */
  llm?: LlmClient;
  signal?: AbortSignal;
}

export const DEFAULT_JUDGE_BUDGET: JudgeBudget = {
  maxTimeToFirstFindingMs: 60_000,
  maxToolCalls: 200,
  maxTokens: DEFAULT_MAX_TOKENS_PER_INVESTIGATION,
};

/** Criterion ids: stable, they are metric labels and database keys. */
export const CRITERIA = {
  namesComponent: "names-component-or-abstains",
  citesEvidence: "claims-cite-resolving-evidence",
  confidenceAgrees: "confidence-agrees-with-abstain",
  bulletCount: "two-to-five-evidence-bullets",
  concreteNextSteps: "next-steps-concrete",
  noSecrets: "no-secret-or-customer-identifier",
  withinBudget: "within-time-and-cost-budget",
  noHiddenErrors: "no-hidden-tool-error",
  llmNextStep: "llm-next-step-is-what-an-sre-would-do",
  llmHeadline: "llm-headline-says-what-is-broken",
} as const;

export const DETERMINISTIC_CRITERIA: string[] = [
  CRITERIA.namesComponent,
  CRITERIA.citesEvidence,
  CRITERIA.confidenceAgrees,
  CRITERIA.bulletCount,
  CRITERIA.concreteNextSteps,
  CRITERIA.noSecrets,
  CRITERIA.withinBudget,
  CRITERIA.noHiddenErrors,
];
export const LLM_CRITERIA: string[] = [CRITERIA.llmNextStep, CRITERIA.llmHeadline];

const MIN_BULLETS = 2;
const MAX_BULLETS = 5;
const QUOTE_CHARS = 160;
// Words that tell a reader a source could not be read; a line naming the source with one of them discloses the error.
const FAILURE_WORDS =
  /could not|couldn't|failed|failure|error|unavailable|unreachable|timed? ?out|timeout|refused|denied/i;
// A query an engineer can paste: a PromQL/LogQL selector, a function call over one, or a back-quoted query.
const QUERY_PATTERN =
  /[A-Za-z_:][A-Za-z0-9_:]*\{[^}]*\}|\b(?:rate|irate|increase|sum|avg|max|histogram_quantile|count_over_time|topk)\s*\(|`[^`]{3,}`|\{[^}]*=~?"[^"]*"[^}]*\}|\btraceql\b|\bkubectl\s+\w+/i;
const RUNBOOK_PATTERN = /\brunbook\b|\bplaybook\b|https?:\/\/\S+/i;
const COMPONENT_LABELS = ["service", "job", "app", "container", "pod", "deployment", "statefulset", "namespace"];

function quote(text: string): string {
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS - 1)}…` : text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whole-word, case-insensitive: "web" must not match "webhook". */
function mentions(text: string, term: string): boolean {
  if (!term) return false;
  return new RegExp(`(^|[^A-Za-z0-9_-])${escapeRegExp(term)}($|[^A-Za-z0-9_-])`, "i").test(text);
}

function allEvidence(result: InvestigationResult): Map<string, Evidence> {
  const byId = new Map<string, Evidence>();
  for (const c of result.candidates) for (const e of c.evidence) byId.set(e.id, e);
  return byId;
}

function componentsOf(result: InvestigationResult): string[] {
  const names = new Set<string>();
  if (result.alert.service) names.add(result.alert.service);
  for (const key of COMPONENT_LABELS) {
    const value = result.alert.labels[key];
    if (value) names.add(value);
  }
  for (const c of result.candidates) {
    names.add(c.service);
    if (c.entity) names.add(c.entity);
    for (const e of c.evidence) if (e.service) names.add(e.service);
  }
  return [...names].filter((n) => n.length >= 2);
}

/** Every piece of summary text, named by field, so findings can point at a field without copying its content. */
function summaryFields(result: InvestigationResult): Array<{ field: string; text: string }> {
  const s = result.summary;
  const fields = [
    { field: "headline", text: s.headline },
    { field: "whatIsGoingOn", text: s.whatIsGoingOn },
    { field: "likelyCause", text: s.likelyCause ?? "" },
  ];
  for (const [i, t] of s.whyNotHigher.entries()) fields.push({ field: `whyNotHigher[${i}]`, text: t });
  for (const [i, b] of s.evidence.entries()) {
    fields.push({ field: `evidence[${i}].text`, text: b.text });
    if (b.link) fields.push({ field: `evidence[${i}].link`, text: b.link });
  }
  for (const [i, t] of s.ruledOut.entries()) fields.push({ field: `ruledOut[${i}]`, text: t });
  for (const [i, t] of s.nextSteps.entries()) fields.push({ field: `nextSteps[${i}]`, text: t });
  return fields.filter((f) => f.text);
}

export function judgeNamesComponent(result: InvestigationResult): CriterionResult {
  const id = CRITERIA.namesComponent;
  if (result.abstained) return { id, passed: true, reason: "abstained", evidence: [quote(result.summary.headline)] };
  const top = result.candidates[0];
  if (!top) return { id, passed: false, reason: "reports a cause but has no candidate component" };
  const text = `${result.summary.headline}\n${result.summary.likelyCause ?? ""}`;
  if (mentions(text, top.service)) {
    return { id, passed: true, reason: `names ${top.service}`, evidence: [quote(result.summary.headline)] };
  }
  return {
    id,
    passed: false,
    reason: `neither headline nor likely cause names the top candidate ${top.service}`,
    evidence: [quote(result.summary.headline)],
  };
}

export function judgeCitesEvidence(result: InvestigationResult): CriterionResult {
  const id = CRITERIA.citesEvidence;
  const records = allEvidence(result);
  const problems: string[] = [];
  for (const bullet of result.summary.evidence) {
    const record = records.get(bullet.evidenceId);
    if (!bullet.evidenceId) problems.push(`uncited: ${quote(bullet.text)}`);
    else if (!record) problems.push(`cites unknown ${bullet.evidenceId}`);
    else if (!record.ref.trim()) problems.push(`${bullet.evidenceId} has no reference to reopen it`);
  }
  for (const [evidenceId, record] of records) {
    if (!record.ref.trim()) problems.push(`${evidenceId} has no reference to reopen it`);
  }
  if (problems.length > 0) {
    return {
      id,
      passed: false,
      reason: `${problems.length} claim(s) do not resolve`,
      evidence: [...new Set(problems)],
    };
  }
  if (!result.abstained && result.summary.evidence.length === 0) {
    return { id, passed: false, reason: "names a cause without citing any evidence" };
  }
  return { id, passed: true, reason: `${result.summary.evidence.length} cited record(s) all resolve` };
}

export function judgeConfidenceAgrees(result: InvestigationResult, threshold: number): CriterionResult {
  const id = CRITERIA.confidenceAgrees;
  const confidence = result.confidence;
  const shouldAbstain = confidence < threshold;
  const shown = result.summary.confidence;
  if (Math.abs(shown - confidence) > 0.005) {
    return {
      id,
      passed: false,
      reason: `summary shows confidence ${shown.toFixed(2)} but the result has ${confidence.toFixed(2)}`,
    };
  }
  if (shouldAbstain !== result.abstained) {
    return {
      id,
      passed: false,
      reason: `${result.abstained ? "abstained" : "reported a cause"} at confidence ${confidence.toFixed(2)} (threshold ${threshold})`,
    };
  }
  return {
    id,
    passed: true,
    reason: `${result.abstained ? "abstained" : "reported a cause"} at confidence ${confidence.toFixed(2)} (threshold ${threshold})`,
  };
}

export function judgeBulletCount(result: InvestigationResult): CriterionResult {
  const id = CRITERIA.bulletCount;
  const n = result.summary.evidence.length;
  if (result.abstained) {
    // An abstention may have nothing to show; it must still not bury the reader.
    return n <= MAX_BULLETS
      ? { id, passed: true, reason: `abstained with ${n} bullet(s)` }
      : { id, passed: false, reason: `abstained with ${n} bullets (more than ${MAX_BULLETS})` };
  }
  if (n < MIN_BULLETS || n > MAX_BULLETS) {
    return { id, passed: false, reason: `${n} evidence bullet(s), expected ${MIN_BULLETS}–${MAX_BULLETS}` };
  }
  return { id, passed: true, reason: `${n} evidence bullets` };
}

/** Why a next step is concrete, or undefined when it is not. */
function concreteness(step: string, components: string[]): string | undefined {
  const component = components.find((c) => mentions(step, c));
  if (component) return `names ${component}`;
  if (QUERY_PATTERN.test(step)) return "gives a query";
  if (RUNBOOK_PATTERN.test(step)) return "points to a runbook";
  return undefined;
}

export function judgeConcreteNextSteps(result: InvestigationResult): CriterionResult {
  const id = CRITERIA.concreteNextSteps;
  const steps = result.summary.nextSteps;
  const first = steps[0];
  if (!first) return { id, passed: false, reason: "no next step" };
  const components = componentsOf(result);
  const vague = steps.filter((s) => !concreteness(s, components)).map(quote);
  const why = concreteness(first, components);
  // The first step is what the engineer does first: it must be concrete; later vague ones are listed, not failed.
  if (!why)
    return { id, passed: false, reason: "the first next step names no component, query or runbook", evidence: vague };
  return {
    id,
    passed: true,
    reason: `first step ${why}${vague.length > 0 ? `; ${vague.length} later step(s) vague` : ""}`,
    evidence: [quote(first), ...vague],
  };
}

export function judgeNoSecrets(result: InvestigationResult, customerTerms: string[] = []): CriterionResult {
  const id = CRITERIA.noSecrets;
  const leaks: string[] = [];
  for (const { field, text } of summaryFields(result)) {
    // Only the field is named: quoting the text would copy the secret into the judgment.
    if (containsSecret(text)) leaks.push(`${field}: secret`);
    else if (customerTerms.some((term) => mentions(text, term))) leaks.push(`${field}: customer identifier`);
  }
  if (leaks.length > 0)
    return { id, passed: false, reason: `${leaks.length} field(s) would be redacted`, evidence: leaks };
  return { id, passed: true, reason: "nothing the redactor would catch" };
}

/** Time until the first strategy that found something finished; the whole run when nothing was found. */
export function timeToFirstFindingMs(result: InvestigationResult): number {
  const finders = result.strategies.filter((s) => s.topCandidate).map((s) => s.durationMs);
  return finders.length > 0 ? Math.min(...finders) : result.durationMs;
}

export function judgeWithinBudget(result: InvestigationResult, budget: JudgeBudget): CriterionResult {
  const id = CRITERIA.withinBudget;
  const ttf = timeToFirstFindingMs(result);
  const calls = result.toolCalls.length;
  const tokens = result.llm.promptTokens + result.llm.completionTokens;
  const cost = result.llm.costUsd ?? 0;
  const over: string[] = [];
  if (ttf > budget.maxTimeToFirstFindingMs)
    over.push(`first finding after ${ttf} ms > ${budget.maxTimeToFirstFindingMs} ms`);
  if (calls > budget.maxToolCalls) over.push(`${calls} tool calls > ${budget.maxToolCalls}`);
  if (tokens > budget.maxTokens) over.push(`${tokens} tokens > ${budget.maxTokens}`);
  if (budget.maxCostUsd !== undefined && cost > budget.maxCostUsd) {
    over.push(`$${cost.toFixed(4)} > $${budget.maxCostUsd.toFixed(4)}`);
  }
  if (over.length > 0) return { id, passed: false, reason: over.join("; "), evidence: over };
  return {
    id,
    passed: true,
    reason: `first finding ${ttf} ms, ${calls} tool calls, ${tokens} tokens, $${cost.toFixed(4)}`,
  };
}

export function judgeNoHiddenErrors(result: InvestigationResult): CriterionResult {
  const id = CRITERIA.noHiddenErrors;
  const errors = [
    ...result.strategies.flatMap((s) => s.errors.map((message) => ({ source: s.name, message }))),
    ...result.toolCalls.filter((c) => c.error).map((c) => ({ source: c.backend, message: c.error ?? "" })),
  ];
  if (errors.length === 0) return { id, passed: true, reason: "no tool or strategy error" };
  const disclosed = [...result.summary.whyNotHigher, ...result.summary.ruledOut].map((l) => l.toLowerCase());
  const hidden = errors.filter(({ source, message }) => {
    const needle = message.toLowerCase().slice(0, 80).trim();
    return !disclosed.some(
      (line) => (needle && line.includes(needle)) || (mentions(line, source) && FAILURE_WORDS.test(line)),
    );
  });
  if (hidden.length > 0) {
    return {
      id,
      passed: false,
      reason: `${hidden.length} of ${errors.length} error(s) not mentioned in why-not-higher or ruled-out`,
      evidence: hidden.map((e) => quote(`${e.source}: ${e.message}`)),
    };
  }
  return { id, passed: true, reason: `all ${errors.length} error(s) disclosed` };
}

/** The deterministic checklist: pure, cheap, safe to run on every investigation and on old eval outputs. */
export function judgeDeterministic(result: InvestigationResult, options: JudgeOptions = {}): CriterionResult[] {
  const budget = { ...DEFAULT_JUDGE_BUDGET, ...options.budget };
  return [
    judgeNamesComponent(result),
    judgeCitesEvidence(result),
    judgeConfidenceAgrees(result, options.abstainThreshold ?? DEFAULT_ABSTAIN_THRESHOLD),
    judgeBulletCount(result),
    judgeConcreteNextSteps(result),
    judgeNoSecrets(result, options.customerTerms),
    judgeWithinBudget(result, budget),
    judgeNoHiddenErrors(result),
  ];
}

// --- LLM criteria ---------------------------------------------------------------------------------------------

// Nullable rather than optional: structured outputs need every property required.
export const llmVerdictSchema = z.object({
  verdict: z.enum(["yes", "no"]),
  reason: z.string(),
  quotes: z.array(z.string()),
});
export type LlmVerdict = z.infer<typeof llmVerdictSchema>;

const temperatureClients = new WeakMap<object, OpenAI>();

/** Force `temperature: 0` on every chat request; the shared client has no per-call temperature option. */
function temperatureZeroFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  if (init && typeof init.body === "string") {
    try {
      const body = JSON.parse(init.body) as Record<string, unknown>;
      if (Array.isArray(body.messages))
        return fetch(input, { ...init, body: JSON.stringify({ ...body, temperature: 0 }) });
    } catch {
      // Not JSON: send as is.
    }
  }
  return fetch(input, init);
}

/**
 * A client for one judgment: the investigation client's config, a fresh usage ledger and budget (so the judge's
 * tokens are reported apart), and a connection pool shared across judgments that sends temperature 0.
 */
export function judgeClientFor(llm: LlmClient): LlmClient {
  let openai = temperatureClients.get(llm.config);
  if (!openai) {
    openai = new OpenAI({
      baseURL: llm.config.baseURL,
      apiKey: llm.config.apiKey ?? "not-needed",
      timeout: llm.config.timeoutMs,
      maxRetries: 1,
      fetch: temperatureZeroFetch,
    });
    temperatureClients.set(llm.config, openai);
  }
  return new LlmClient(llm.config, { openai, maxOutputTokensPerCall: 512 });
}

function normalise(text: string): string {
  return text.replace(/\s+/g, " ").trim().toLowerCase();
}

/** What the judge sees: the summary and the evidence records, all fenced as data (they hold production text). */
function judgeMaterial(result: InvestigationResult): { prompt: string; plain: string } {
  const s = result.summary;
  const summaryText = [
    `alert: ${result.alert.alertname}${result.alert.service ? ` on ${result.alert.service}` : ""}`,
    `abstained: ${result.abstained}`,
    `confidence: ${result.confidence.toFixed(2)}`,
    `headline: ${s.headline}`,
    `what is going on: ${s.whatIsGoingOn}`,
    `likely cause: ${s.likelyCause ?? "(none)"}`,
    ...s.whyNotHigher.map((t) => `why not higher: ${t}`),
    ...s.ruledOut.map((t) => `ruled out: ${t}`),
    ...s.nextSteps.map((t, i) => `next step ${i + 1}: ${t}`),
  ].join("\n");
  const cited = new Set(s.evidence.map((b) => b.evidenceId));
  const records = [...allEvidence(result).values()].filter(
    (e) => cited.has(e.id) || result.candidates[0]?.evidence.includes(e),
  );
  const evidenceText = records.slice(0, 12).map((e) => ({ id: e.id, text: `${e.summary}\nref: ${e.ref}` }));
  const prompt = [
    fenceUntrusted("summary", summaryText),
    ...evidenceText.map((e) => fenceUntrusted(e.id, e.text, { tag: "evidence", attributes: { id: e.id } })),
  ].join("\n\n");
  return { prompt, plain: normalise([summaryText, ...evidenceText.map((e) => e.text)].join("\n")) };
}

async function llmCriterion(
  id: string,
  promptName: JudgePromptName,
  result: InvestigationResult,
  client: LlmClient,
  signal?: AbortSignal,
): Promise<CriterionResult> {
  const material = judgeMaterial(result);
  const messages: LlmMessage[] = [
    { role: "system", content: loadJudgePrompt(promptName).content },
    { role: "user", content: `Judge this investigation summary.\n\n${material.prompt}` },
  ];
  const answer = await client.chatJson(messages, llmVerdictSchema, promptName.replace(/-/g, "_"), {
    signal,
    purpose: promptName,
  });
  if (!answer.ok)
    return { id, passed: null, reason: `not judged: ${answer.error.kind}: ${quote(answer.error.message)}` };
  // A quote that is not in what the judge was shown is invented; a verdict resting on nothing is not trusted.
  const quotes = answer.data.quotes.filter((q) => q.trim() && material.plain.includes(normalise(q))).map(quote);
  if (quotes.length === 0)
    return { id, passed: null, reason: "not judged: the verdict quoted nothing from the summary or evidence" };
  const reason = answer.data.reason.replace(/\s+/g, " ").trim();
  return { id, passed: answer.data.verdict === "yes", reason: quote(reason || answer.data.verdict), evidence: quotes };
}

/**
 * Run the whole checklist on one finished investigation. Never throws for an LLM failure and never mutates `result`.
 */
export async function judgeInvestigation(result: InvestigationResult, options: JudgeOptions = {}): Promise<Judgment> {
  const criteria = judgeDeterministic(result, options);
  const prompts = judgePromptVersions();
  if (!options.llm) {
    for (const id of LLM_CRITERIA) criteria.push({ id, passed: null, reason: "not judged: no LLM configured" });
    return { criteria, judgedAt: new Date().toISOString(), judge: { prompts } };
  }
  const client = judgeClientFor(options.llm);
  criteria.push(await llmCriterion(CRITERIA.llmNextStep, "judge-next-step", result, client, options.signal));
  criteria.push(await llmCriterion(CRITERIA.llmHeadline, "judge-headline", result, client, options.signal));
  return {
    criteria,
    judgedAt: new Date().toISOString(),
    judge: { model: client.config.model, prompts, usage: client.usage() },
  };
}

export interface CriterionTally {
  passed: number;
  failed: number;
  notJudged: number;
  /** passed / (passed + failed); null when nothing was judged. */
  ratio: number | null;
}

/** Pass ratio per criterion over a set of judgments (an eval run, a day of investigations). */
export function tallyJudgments(judgments: Judgment[]): Record<string, CriterionTally> {
  const out: Record<string, CriterionTally> = {};
  for (const j of judgments) {
    for (const c of j.criteria) {
      const t = out[c.id] ?? { passed: 0, failed: 0, notJudged: 0, ratio: null };
      if (c.passed === true) t.passed += 1;
      else if (c.passed === false) t.failed += 1;
      else t.notJudged += 1;
      out[c.id] = t;
    }
  }
  for (const t of Object.values(out)) t.ratio = t.passed + t.failed > 0 ? t.passed / (t.passed + t.failed) : null;
  return out;
}

/** The ids of the criteria a judgment failed (not-judged ones are not failures). */
export function failedCriteria(judgment: Judgment): string[] {
  return judgment.criteria.filter((c) => c.passed === false).map((c) => c.id);
}

/** Zod schema for a stored or written judgment (the boundary when reading eval outputs and the database). */
export const judgmentSchema = z.object({
  criteria: z.array(
    z.object({
      id: z.string(),
      passed: z.boolean().nullable(),
      reason: z.string(),
      evidence: z.array(z.string()).optional(),
    }),
  ),
  judgedAt: z.string(),
  judge: z.object({
    model: z.string().optional(),
    prompts: z.record(z.string(), z.string()),
    usage: z
      .object({
        calls: z.number(),
        errors: z.number(),
        refused: z.number(),
        promptTokens: z.number(),
        completionTokens: z.number(),
        costUsd: z.number(),
      })
      .optional(),
  }),
});
