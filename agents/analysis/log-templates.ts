/**
 * Log template mining (Drain: He et al., "Drain: An Online Log Parsing Approach with Fixed Depth Tree", ICWS 2017)
 * and the comparisons the strategies need: which error templates are new or spiking after a split time, and which
 * service emitted them first. Pure, deterministic functions: the same lines in the same order give the same
 * templates and ids.
 */

export type LogLevel = "error" | "warn" | "info" | "debug";

export interface MinerLine {
  t: number;
  line: string;
  service?: string;
}

export interface Template {
  /** Stable for a template text: `tpl-` + FNV-1a of the template. */
  id: string;
  /** Tokens joined by single spaces; variable parts are `<*>`. */
  template: string;
  count: number;
  /** Services that emitted it, sorted. */
  services: string[];
  /** Per service, how many lines. */
  serviceCounts: Record<string, number>;
  firstSeen: number;
  lastSeen: number;
  /** The service of the earliest line, when known. */
  firstService?: string;
  /** Up to three raw lines, the first ones seen. */
  examples: string[];
}

export interface MineOptions {
  /** Similarity (share of equal tokens) needed to join a cluster. Drain3's default. */
  similarity?: number; // default 0.4
  /** Tree depth as in Drain3: root, token count, then the first `depth - 3` tokens route a line to its leaf. */
  depth?: number; // default 4
  /** Children per tree node before new tokens share a `<*>` branch (bounds memory on high-cardinality tokens). */
  maxChildren?: number; // default 100
  /** Lines longer than this are cut before mining: stack traces and payloads make templates, not evidence. */
  maxLineLength?: number; // default 2000
}

export interface TemplateShift {
  id: string;
  template: string;
  before: number;
  after: number;
  /** Lines per minute in each window (windows from `range`, else from the lines' own span). */
  beforeRate: number;
  afterRate: number;
  /** True when the template never appeared before the split. */
  isNew: boolean;
  /** `(afterRate + 1/window) / (beforeRate + 1/window)`: finite for new templates, 1 for steady ones. */
  spikeRatio: number;
  /** Earliest line after the split and its service: who started emitting it. */
  firstSeenAfter?: number;
  firstServiceAfter?: string;
  services: string[];
  examples: string[];
}

const WILDCARD = "<*>";
const DEFAULTS = { similarity: 0.4, depth: 4, maxChildren: 100, maxLineLength: 2000 };

/**
 * Masks applied before tokenizing, most specific first, so a UUID is not half-eaten by the number rule. Each one
 * replaces a variable part with `<*>`.
 */
const MASKS: RegExp[] = [
  // ISO-8601 / RFC3339 timestamps and `2024-05-01 12:00:00,123`
  /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g,
  // clock times (glog `12:00:00.123456`, syslog)
  /\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b/g,
  // UUIDs
  /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g,
  // IPv4 with optional port, IPv6 (at least three groups)
  /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g,
  /\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b/g,
  // durations: 12ms, 1.5s, 2m30s, 300µs
  /\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))*\b/g,
  // ids: 8+ chars of letters, digits, `-`/`_` containing both a letter and a digit (pod names, request ids)
  /\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_-]{7,}\b/g,
  // hex: 0x1f, and bare hex runs of 8+ with a digit (trace ids, hashes, commit shas)
  /\b0x[0-9a-fA-F]+\b/g,
  /\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b/g,
  // numbers (signed, decimal, with units glued on like 512MiB or 99.9%)
  /(?<![A-Za-z0-9_])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g,
];
/** Quoted strings are variable (user input, names), except the value of a message-like key, which is the text. */
const QUOTED = /(\b(?:msg|message|err|error|reason|event|exception)=)?"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'/g;
const JSON_TIME_KEYS = new Set(["ts", "time", "timestamp", "@timestamp", "t", "date"]);

interface Cluster {
  tokens: string[];
  count: number;
  serviceCounts: Map<string, number>;
  firstSeen: number;
  lastSeen: number;
  firstService?: string;
  examples: string[];
  /** Index in creation order: ties and output order stay deterministic. */
  order: number;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  clusters: Cluster[];
}

/**
 * An incremental Drain miner. `add` returns the cluster a line joined; `templates()` snapshots the result.
 * `mineTemplates` is the one-call form.
 */
export class TemplateMiner {
  readonly #options: Required<MineOptions>;
  readonly #root: TreeNode = { children: new Map(), clusters: [] };
  readonly #clusters: Cluster[] = [];

  constructor(options: MineOptions = {}) {
    this.#options = { ...DEFAULTS, ...options };
  }

  /** Adds one line; returns the creation index of its cluster. */
  add(entry: MinerLine): number {
    const tokens = tokenize(entry.line.slice(0, this.#options.maxLineLength));
    const leaf = this.#leaf(tokens);
    let best: Cluster | undefined;
    let bestSim = -1;
    for (const c of leaf.clusters) {
      const sim = similarity(c.tokens, tokens);
      if (sim > bestSim) {
        best = c;
        bestSim = sim;
      }
    }
    let cluster: Cluster;
    if (best && bestSim >= this.#options.similarity) {
      cluster = best;
      for (let i = 0; i < tokens.length; i++) if (cluster.tokens[i] !== tokens[i]) cluster.tokens[i] = WILDCARD;
    } else {
      cluster = {
        tokens: [...tokens],
        count: 0,
        serviceCounts: new Map(),
        firstSeen: entry.t,
        lastSeen: entry.t,
        examples: [],
        order: this.#clusters.length,
      };
      if (entry.service) cluster.firstService = entry.service;
      this.#clusters.push(cluster);
      leaf.clusters.push(cluster);
    }
    cluster.count++;
    if (entry.service) cluster.serviceCounts.set(entry.service, (cluster.serviceCounts.get(entry.service) ?? 0) + 1);
    if (entry.t < cluster.firstSeen) {
      cluster.firstSeen = entry.t;
      if (entry.service) cluster.firstService = entry.service;
    }
    if (entry.t > cluster.lastSeen) cluster.lastSeen = entry.t;
    if (cluster.examples.length < 3) cluster.examples.push(entry.line);
    return cluster.order;
  }

  /** Templates by count (descending), then by first appearance. */
  templates(): Template[] {
    return this.templatesByOrder()
      .map((t, order) => ({ t, order }))
      .sort((a, b) => b.t.count - a.t.count || a.order - b.order)
      .map((o) => o.t);
  }

  /** Templates indexed by the cluster index `add` returned. */
  templatesByOrder(): Template[] {
    const ids = new Map<string, number>();
    const out = this.#clusters.map((c) => {
      const template = c.tokens.join(" ");
      const base = `tpl-${fnv1a(template)}`;
      // Two leaves can end with the same text; suffix in creation order to keep ids unique and stable.
      const seen = ids.get(base) ?? 0;
      ids.set(base, seen + 1);
      const t: Template = {
        id: seen === 0 ? base : `${base}-${seen}`,
        template,
        count: c.count,
        services: [...c.serviceCounts.keys()].sort(),
        serviceCounts: Object.fromEntries([...c.serviceCounts].sort(([a], [b]) => a.localeCompare(b))),
        firstSeen: c.firstSeen,
        lastSeen: c.lastSeen,
        examples: [...c.examples],
      };
      if (c.firstService) t.firstService = c.firstService;
      return t;
    });
    return out;
  }

  #leaf(tokens: string[]): TreeNode {
    let node = child(this.#root, String(tokens.length), Number.POSITIVE_INFINITY);
    const prefix = Math.max(0, this.#options.depth - 3);
    for (let i = 0; i < Math.min(prefix, tokens.length); i++) {
      const token = tokens[i] as string;
      // Tokens with digits are likely variables; routing on them would scatter one template over many leaves.
      const key = /\d/.test(token) ? WILDCARD : token;
      node = child(node, key, this.#options.maxChildren);
    }
    return node;
  }
}

/**
 * Mines templates from lines (Drain). Lines are masked first (timestamps, UUIDs, IPs, durations, hex, ids,
 * numbers, quoted strings → `<*>`), JSON lines are flattened to `key=value` tokens.
 *
 * @example
 * const templates = mineTemplates(records.map((r) => ({ t: r.t, line: r.line, service: r.service })));
 * // [{ template: "level=error msg=connection refused host=<*>", count: 412, services: ["checkout"], … }]
 */
export function mineTemplates(lines: MinerLine[], options: MineOptions = {}): Template[] {
  const miner = new TemplateMiner(options);
  for (const l of lines) miner.add(l);
  return miner.templates();
}

/**
 * Mines all lines together (so both sides share templates) and compares each template before vs after
 * `splitAt`. Sorted with new templates first, then by spike ratio, then by after-count.
 *
 * @example
 * const shifts = splitTemplates(lines, alert.startsAt, { range: { from, to } });
 * const suspects = shifts.filter((s) => s.isNew || s.spikeRatio >= 5);
 */
export function splitTemplates(
  lines: MinerLine[],
  splitAt: number,
  options: MineOptions & { range?: { from: number; to: number } } = {},
): TemplateShift[] {
  const miner = new TemplateMiner(options);
  const stats = new Map<number, { before: number; after: number; firstAfter?: MinerLine }>();
  for (const l of lines) {
    const order = miner.add(l);
    const s = stats.get(order) ?? { before: 0, after: 0 };
    if (l.t < splitAt) s.before++;
    else {
      s.after++;
      if (!s.firstAfter || l.t < s.firstAfter.t) s.firstAfter = l;
    }
    stats.set(order, s);
  }
  let from = options.range?.from ?? splitAt;
  let to = options.range?.to ?? splitAt;
  if (!options.range) {
    for (const l of lines) {
      if (l.t < from) from = l.t;
      if (l.t > to) to = l.t;
    }
  }
  const beforeMin = Math.max(1, (splitAt - from) / 60_000);
  const afterMin = Math.max(1, (to - splitAt) / 60_000);

  const templates = miner.templatesByOrder();
  const shifts: TemplateShift[] = [];
  for (const [order, s] of stats) {
    const t = templates[order];
    if (!t) continue;
    shifts.push(shift(t, s.before, s.after, beforeMin, afterMin, s.firstAfter));
  }
  return sortShifts(shifts);
}

/**
 * Compares templates mined separately from a baseline window and an incident window. Templates are matched by
 * identical text, else by Drain similarity on equal token counts (≥ `similarity`, wildcards matching anything).
 * Rates are per window when the windows' lengths (ms) are given, else raw counts are compared.
 */
export function compareTemplates(
  baseline: Template[],
  after: Template[],
  options: { similarity?: number; baselineMs?: number; afterMs?: number } = {},
): TemplateShift[] {
  const threshold = options.similarity ?? DEFAULTS.similarity;
  const beforeMin = options.baselineMs ? Math.max(1, options.baselineMs / 60_000) : 1;
  const afterMin = options.afterMs ? Math.max(1, options.afterMs / 60_000) : 1;
  const baseTokens = baseline.map((b) => ({ b, tokens: b.template.split(" ") }));
  return sortShifts(
    after.map((a) => {
      const tokens = a.template.split(" ");
      let match = baseline.find((b) => b.template === a.template);
      if (!match) {
        let best = -1;
        for (const { b, tokens: bt } of baseTokens) {
          if (bt.length !== tokens.length) continue;
          const sim = similarity(bt, tokens, true);
          if (sim >= threshold && sim > best) {
            best = sim;
            match = b;
          }
        }
      }
      const firstAfter = { t: a.firstSeen, line: "", service: a.firstService };
      return shift(a, match?.count ?? 0, a.count, beforeMin, afterMin, firstAfter);
    }),
  );
}

/**
 * The level of a line: a `level`/`severity` label, else a JSON `level`/`severity` field (pino's numeric levels
 * too), else `level=` in logfmt, else a leading level word (`ERROR`, `[warn]`, glog's `E0501`). Undefined when
 * none says.
 */
export function logLevelOf(line: string, labels: Record<string, string> = {}): LogLevel | undefined {
  for (const key of ["level", "severity", "detected_level", "lvl", "severity_text"]) {
    const level = normalizeLevel(labels[key]);
    if (level) return level;
  }
  const trimmed = line.trimStart();
  if (trimmed.startsWith("{")) {
    const json = parseJsonObject(trimmed);
    if (json) {
      for (const key of ["level", "severity", "lvl", "levelname", "log.level", "severity_text", "loglevel"]) {
        const level = normalizeLevel(json[key]);
        if (level) return level;
      }
    }
  }
  const logfmt = /(?:^|\s)(?:level|lvl|severity)="?([A-Za-z]+)"?/.exec(line);
  const fromLogfmt = normalizeLevel(logfmt?.[1]);
  if (fromLogfmt) return fromLogfmt;
  const glog = /^([EWID])\d{4}\s/.exec(trimmed);
  if (glog?.[1]) return ({ E: "error", W: "warn", I: "info", D: "debug" } as const)[glog[1] as "E" | "W" | "I" | "D"];
  // A level word among the first tokens, after any timestamp or bracketed prefix.
  for (const token of trimmed.split(/\s+/, 5)) {
    const word = /^[[(<]?([A-Za-z]+)[\])>:]*$/.exec(token)?.[1];
    if (word && word === word.toUpperCase()) {
      const level = normalizeLevel(word);
      if (level) return level;
    }
  }
  return undefined;
}

function normalizeLevel(value: unknown): LogLevel | undefined {
  if (typeof value === "number") {
    // pino/bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal
    if (value >= 50) return "error";
    if (value >= 40) return "warn";
    if (value >= 30) return "info";
    return "debug";
  }
  if (typeof value !== "string" || value === "") return undefined;
  switch (value.toLowerCase()) {
    case "error":
    case "err":
    case "eror":
    case "fatal":
    case "critical":
    case "crit":
    case "panic":
    case "emerg":
    case "emergency":
    case "alert":
    case "severe":
    case "e":
      return "error";
    case "warn":
    case "warning":
    case "w":
      return "warn";
    case "info":
    case "information":
    case "notice":
    case "informational":
    case "i":
      return "info";
    case "debug":
    case "trace":
    case "dbug":
    case "verbose":
    case "fine":
    case "d":
      return "debug";
    default:
      return /^\d+$/.test(value) ? normalizeLevel(Number(value)) : undefined;
  }
}

/** Masks variables and splits on whitespace. JSON objects become `key=value` tokens in their key order. */
export function tokenize(line: string): string[] {
  let text = line.trim();
  if (text.startsWith("{")) {
    const json = parseJsonObject(text);
    if (json) text = flattenJson(json);
  }
  text = text.replace(QUOTED, (_m, key: string | undefined, dq: string | undefined) =>
    key ? `${key}${dq ?? ""}` : WILDCARD,
  );
  for (const mask of MASKS) text = text.replace(mask, WILDCARD);
  const tokens = text.split(/\s+/).filter(Boolean);
  // `[<*>]`, `<*>:` and `(<*>),` are the variable itself in punctuation; `/users/<*>` or `id=<*>` keep their text.
  return tokens.map((t) => (t !== WILDCARD && /^[^A-Za-z]*<\*>[^A-Za-z]*$/.test(t) ? WILDCARD : t));
}

function flattenJson(obj: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (JSON_TIME_KEYS.has(key)) continue;
    if (value !== null && typeof value === "object") parts.push(`${key}=${WILDCARD}`);
    else parts.push(`${key}=${String(value)}`);
  }
  return parts.join(" ");
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.endsWith("}")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Share of positions with equal tokens; a template wildcard counts as equal when `wildcardsMatch`. */
function similarity(template: string[], tokens: string[], wildcardsMatch = false): number {
  if (template.length !== tokens.length) return 0;
  if (tokens.length === 0) return 1;
  let same = 0;
  for (let i = 0; i < tokens.length; i++) {
    const a = template[i];
    const b = tokens[i];
    if (a === b || (wildcardsMatch && (a === WILDCARD || b === WILDCARD))) same++;
  }
  return same / tokens.length;
}

function child(node: TreeNode, key: string, maxChildren: number): TreeNode {
  const existing = node.children.get(key);
  if (existing) return existing;
  const full = node.children.size >= maxChildren;
  const target = full ? WILDCARD : key;
  let next = node.children.get(target);
  if (!next) {
    next = { children: new Map(), clusters: [] };
    node.children.set(target, next);
  }
  return next;
}

function shift(
  t: Template,
  before: number,
  after: number,
  beforeMin: number,
  afterMin: number,
  firstAfter?: { t: number; service?: string },
): TemplateShift {
  const beforeRate = before / beforeMin;
  const afterRate = after / afterMin;
  // Add-one smoothing on the count scale of the longer window, so a template new with one line is not infinite.
  const eps = 1 / Math.max(beforeMin, afterMin);
  const out: TemplateShift = {
    id: t.id,
    template: t.template,
    before,
    after,
    beforeRate,
    afterRate,
    isNew: before === 0 && after > 0,
    spikeRatio: (afterRate + eps) / (beforeRate + eps),
    services: t.services,
    examples: t.examples,
  };
  if (after > 0 && firstAfter) {
    out.firstSeenAfter = firstAfter.t;
    if (firstAfter.service) out.firstServiceAfter = firstAfter.service;
  }
  return out;
}

function sortShifts(shifts: TemplateShift[]): TemplateShift[] {
  return shifts.sort(
    (a, b) =>
      Number(b.isNew) - Number(a.isNew) || b.spikeRatio - a.spikeRatio || b.after - a.after || a.id.localeCompare(b.id),
  );
}

/** 32-bit FNV-1a as 8 hex digits: short, stable ids without a crypto dependency. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}
