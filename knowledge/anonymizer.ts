/**
 * The guard between customer context and learned patterns: keyed, stable pseudonyms for names, and detectors that
 * prove nothing identifying is left in a string.
 *
 * Pseudonyms are HMAC-SHA256(key, kind + value), so they are stable within one installation (the same service is
 * always `svc-7f3a9c`) and meaningless to anyone without the key. The map back to the originals lives only in memory
 * here and, persisted, in the customer-context store: never next to the patterns.
 *
 * @example
 * const anonymizer = new Anonymizer({ key: process.env.VIGIL_ANONYMIZER_KEY ?? "", knownTerms: ["storefront"] });
 * anonymizer.pseudonym("service", "cartservice"); // "svc-…"
 * anonymizer.text("cartservice at 10.0.3.7 failed for bob@example.com"); // "svc-… at <ip> failed for <email>"
 * anonymizer.reveal(anonymizer.pseudonym("service", "cartservice")); // "cartservice"
 */
import { createHmac } from "node:crypto";
import { containsSecret, REDACTED, redactText } from "../tools/redact/redact.ts";

export const PSEUDONYM_KINDS = ["service", "pod", "namespace", "node", "host", "cluster", "term"] as const;
export type PseudonymKind = (typeof PSEUDONYM_KINDS)[number];

const PREFIX: Record<PseudonymKind, string> = {
  service: "svc",
  pod: "pod",
  namespace: "ns",
  node: "node",
  host: "host",
  cluster: "cluster",
  term: "term",
};

/** 24 bits: short enough to read in Slack; a collision within one install is detected and lengthened. */
const HASH_HEX = 6;
const LONG_HASH_HEX = 12;
/** Terms this short ("db", "io") are too common to replace in free text without mangling it. */
const MIN_TERM_LENGTH = 3;

export interface PseudonymEntry {
  pseudonym: string;
  kind: PseudonymKind;
  original: string;
}

export interface DetectorHit {
  kind: "ip" | "email" | "url" | "token" | "known-term" | "secret" | "uuid" | "hostname";
  value: string;
  index: number;
}

export interface AnonymizerOptions {
  /** Per-install secret (e.g. VIGIL_ANONYMIZER_KEY). Different keys give unrelated pseudonyms. */
  key: string;
  /** Names from the customer context: services, teams, hosts, clusters… Replaced wherever they appear. */
  knownTerms?: string[];
  /** Pseudonyms already issued by this install (loaded from the customer-context store). */
  entries?: PseudonymEntry[];
  /** Called once per newly issued pseudonym, so the caller can persist the map. */
  onRegister?: (entry: PseudonymEntry) => void;
}

/** Label keys whose values are names of a given kind. */
const LABEL_KINDS: Record<string, PseudonymKind> = {
  service: "service",
  service_name: "service",
  app: "service",
  "app.kubernetes.io/name": "service",
  job: "service",
  container: "service",
  deployment: "service",
  statefulset: "service",
  daemonset: "service",
  pod: "pod",
  pod_name: "pod",
  namespace: "namespace",
  kubernetes_namespace: "namespace",
  node: "node",
  nodename: "node",
  "kubernetes.io/hostname": "node",
  instance: "host",
  host: "host",
  hostname: "host",
  cluster: "cluster",
  team: "term",
  owner: "term",
  tenant: "term",
  customer: "term",
};

/** Kubernetes generated-name alphabet (no vowels, no 0/1/3): tells a pod suffix from an English word. */
const K8S_SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]";
// Deployment pods (`-<replicaset hash>-<5>`), daemonset pods (`-<5>`), statefulset pods (`-<ordinal>`).
const POD_NAME_SUFFIX = `-(?:[a-z0-9]{6,10}-[a-z0-9]{5}|${K8S_SUFFIX}{5}|\\d{1,4})`;
/** A deployment's pod name even when its owner is unknown: the hash parts hold a digit, words do not. */
const RE_POD_NAME =
  /(?<![A-Za-z0-9.-])[a-z][a-z0-9]*(?:-[a-z0-9]+)*-(?=[a-z]*\d)[a-z0-9]{6,10}-[a-z0-9]{5}(?![A-Za-z0-9-])/g;
/** Cloud node names that spell an address (`ip-10-0-1-23`). */
const RE_IP_NAME = /\bip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\b/g;
const POD_SUFFIX = new RegExp(`^(.+?)${POD_NAME_SUFFIX}$`);

// Detection patterns. Each is also used to replace, so what is detected is exactly what is removed.
const RE_URL = /\b([a-z][a-z0-9+.-]{1,15}):\/\/([^\s/?#"'<>]+)([^\s?#"'<>]*)(\?[^\s#"'<>]*)?(#[^\s"'<>]*)?/gi;
const RE_EMAIL = /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g;
const RE_UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const RE_IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?::\d{1,5})?(?![\d.])/g;
// Full and compressed IPv6 forms; at least two groups so "a:b" in a log line is not taken for an address.
const RE_IPV6 =
  /(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?|::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})(?![\w:])/gi;
// Hostnames: dotted names ending in a TLD or a cluster-internal suffix (not "log.info" or "app.js").
const RE_HOSTNAME =
  /\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:internal|local|lan|corp|intra|svc|cluster|com|net|org|io|dev|cloud|app|co|ai|eu|us|uk|de|fr|biz|info|xyz)\b(?![.-]?[a-z0-9])/gi;
// Candidates for opaque tokens (keys, ids, hashes); `isToken` decides, so Kubernetes names are not taken for keys.
const RE_TOKEN = /(?<![A-Za-z0-9_+/=-])[A-Za-z0-9_+/=-]{16,}/g;
const RE_ISO_TIME = /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b/g;

/** Our own output: pseudonyms and placeholders, which the detectors must not flag. */
const RE_OWN = new RegExp(
  `^(?:(?:${Object.values(PREFIX).join("|")})-[0-9a-f]{${HASH_HEX},${LONG_HASH_HEX}}(?:-[0-9a-f]{${HASH_HEX},${LONG_HASH_HEX}})?|<[a-z-]+>)$`,
);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Matches `term` only as a whole name: not inside a longer word or a longer dotted/hyphenated identifier part. */
function termPattern(terms: string[]): RegExp | undefined {
  if (terms.length === 0) return undefined;
  const alternatives = [...terms].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return new RegExp(`(?<![A-Za-z0-9])(?:${alternatives.join("|")})(?:${POD_NAME_SUFFIX})?(?![A-Za-z0-9])`, "gi");
}

export class Anonymizer {
  readonly #key: string;
  readonly #knownTerms = new Set<string>();
  /** pseudonym → entry */
  readonly #byPseudonym = new Map<string, PseudonymEntry>();
  /** kind + lowercased original → pseudonym */
  readonly #byOriginal = new Map<string, string>();
  readonly #onRegister?: (entry: PseudonymEntry) => void;
  #termRegex: RegExp | undefined;
  #termRegexDirty = true;
  #termSet = new Set<string>();

  constructor(options: AnonymizerOptions) {
    if (!options.key) throw new Error("Anonymizer needs a non-empty key (set VIGIL_ANONYMIZER_KEY)");
    this.#key = options.key;
    this.#onRegister = options.onRegister;
    for (const entry of options.entries ?? []) this.#remember(entry);
    this.addKnownTerms(options.knownTerms ?? []);
  }

  /** Add customer-context terms (services, teams, hosts…) to replace and to detect. */
  addKnownTerms(terms: Iterable<string>): void {
    for (const raw of terms) {
      const term = raw.trim();
      if (term.length < MIN_TERM_LENGTH) continue;
      if (RE_OWN.test(term)) continue;
      this.#knownTerms.add(term);
      this.#termRegexDirty = true;
    }
  }

  /** Every name this anonymizer would replace: known terms and every original registered so far. */
  knownTerms(): string[] {
    const out = new Set(this.#knownTerms);
    for (const entry of this.#byPseudonym.values())
      if (entry.original.length >= MIN_TERM_LENGTH) out.add(entry.original);
    return [...out];
  }

  /** The issued pseudonyms, to persist in the customer-context store. */
  entries(): PseudonymEntry[] {
    return [...this.#byPseudonym.values()];
  }

  /** Keyed, stable pseudonym of a name. A pod keeps its owner: `<service pseudonym>-<hash>`. */
  pseudonym(kind: PseudonymKind, value: string): string {
    const original = value.trim();
    if (!original) return original;
    if (RE_OWN.test(original)) return original;
    const existing = this.#byOriginal.get(`${kind}\0${original.toLowerCase()}`);
    if (existing) return existing;
    if (kind === "pod") {
      const owner = POD_SUFFIX.exec(original)?.[1];
      if (owner) {
        const service = this.pseudonym("service", owner);
        return this.#issue(kind, original, (hex) => `${service}-${this.#hash(kind, original, hex)}`);
      }
    }
    return this.#issue(kind, original, (hex) => `${PREFIX[kind]}-${this.#hash(kind, original, hex)}`);
  }

  /** The original name behind a pseudonym, when this installation issued it. */
  reveal(pseudonym: string): string | undefined {
    return this.#byPseudonym.get(pseudonym)?.original;
  }

  /** Replace every pseudonym in a text by its original (display within the install only). */
  revealText(text: string): string {
    return text.replace(/\b(?:svc|pod|ns|node|host|cluster|term)-[0-9a-f]{6,12}(?:-[0-9a-f]{6,12})?\b/g, (m) => {
      return this.reveal(m) ?? m;
    });
  }

  /**
   * Anonymize free text (a log line, an event message, a description): secrets first, then addresses, URLs,
   * tokens and every known name. Replacements are protected so a later pass never rewrites an earlier one.
   */
  text(input: string): string {
    const slots: string[] = [];
    const protect = (s: string) => {
      slots.push(s);
      return `\uE000${slots.length - 1}\uE001`;
    };
    // Private-use sentinels mark protected slots; any in the input are dropped so they cannot forge a slot.
    let s = redactText(input.replace(/[\uE000\uE001]/g, ""));
    s = s.replaceAll(REDACTED, () => protect(REDACTED));
    s = s.replace(RE_URL, (_m, scheme: string, authority: string, path: string) => {
      const host = authority.replace(/^[^@]*@/, "").replace(/:\d+$/, "");
      const hostPseudonym = this.#hostLike(host);
      return protect(`${scheme.toLowerCase()}://${hostPseudonym}${this.#genericPath(path)}`);
    });
    s = s.replace(RE_EMAIL, () => protect("<email>"));
    s = s.replace(RE_UUID, () => protect("<uuid>"));
    s = s.replace(RE_ISO_TIME, () => protect("<time>"));
    s = s.replace(RE_IPV4, () => protect("<ip>"));
    s = s.replace(RE_IPV6, (m) => (isIpv6(m) ? protect("<ip>") : m));
    // Known names before generic hostnames, so a known host gets its stable pseudonym, and before tokens, so a
    // known service's pod keeps its structure instead of becoming an opaque `<token>`.
    s = this.#replaceTerms(s, protect);
    s = s.replace(RE_HOSTNAME, (m) => protect(this.pseudonym("host", m)));
    s = s.replace(RE_IP_NAME, (m) => protect(this.pseudonym("node", m)));
    s = s.replace(RE_POD_NAME, (m) => protect(this.pseudonym("pod", m)));
    s = s.replace(RE_TOKEN, (m) => (isToken(m) ? protect("<token>") : m));
    return s.replace(/\uE000(\d+)\uE001/g, (_m, i: string) => slots[Number(i)] ?? "");
  }

  /** Anonymize structured data: name-bearing labels by kind, sensitive keys dropped, other strings as text. */
  fields<T>(value: T, depth = 0): T {
    if (depth > 32) return "<deep>" as T;
    if (typeof value === "string") return this.text(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.fields(v, depth + 1)) as T;
    if (!value || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const kind = LABEL_KINDS[key.toLowerCase()];
      // Keys are schema, not data ("app.kubernetes.io/name"): only known names are replaced in them.
      const anonKey = this.#replaceTerms(key, (r) => r);
      if (kind && typeof v === "string") {
        out[anonKey] = kind === "host" ? this.#hostLike(v) : this.pseudonym(kind, v);
        continue;
      }
      out[anonKey] = this.fields(v, depth + 1);
    }
    return out as T;
  }

  /** What still looks identifying in a string: addresses, URLs, tokens, secrets, known names. */
  detectors(s: string): DetectorHit[] {
    const hits: DetectorHit[] = [];
    const scan = (kind: DetectorHit["kind"], re: RegExp, keep: (m: string) => boolean = () => true) => {
      for (const m of s.matchAll(re)) {
        if (RE_OWN.test(m[0]) || !keep(m[0])) continue;
        hits.push({ kind, value: m[0], index: m.index ?? 0 });
      }
    };
    if (containsSecret(s.replaceAll(REDACTED, ""))) {
      hits.push({ kind: "secret", value: "(matches a secret redaction rule)", index: 0 });
    }
    scan("url", RE_URL, (m) => !isOwnUrl(m));
    scan("email", RE_EMAIL);
    scan("uuid", RE_UUID);
    scan("ip", RE_IPV4);
    scan("ip", RE_IPV6, isIpv6);
    scan("ip", RE_IP_NAME);
    scan("token", RE_TOKEN, isToken);
    scan("hostname", RE_HOSTNAME, (m) => !isInsideOwnUrl(s, m));
    const terms = this.#terms();
    if (terms) scan("known-term", terms);
    return hits.sort((a, b) => a.index - b.index);
  }

  #lowerTerms(): Set<string> {
    this.#terms();
    return this.#termSet;
  }

  #terms(): RegExp | undefined {
    if (this.#termRegexDirty) {
      const terms = this.knownTerms();
      this.#termRegex = termPattern(terms);
      this.#termSet = new Set(terms.map((t) => t.toLowerCase()));
      this.#termRegexDirty = false;
    }
    if (this.#termRegex) this.#termRegex.lastIndex = 0;
    return this.#termRegex;
  }

  #replaceTerms(s: string, protect: (s: string) => string): string {
    const terms = this.#terms();
    if (!terms) return s;
    return s.replace(terms, (m) => protect(this.#pseudonymOfTerm(m)));
  }

  /** A term found in text keeps the kind it was registered with (a service stays `svc-…`); a pod stays a pod. */
  #pseudonymOfTerm(term: string): string {
    const lower = term.toLowerCase();
    const owner = POD_SUFFIX.exec(term)?.[1];
    const names = this.#lowerTerms();
    if (owner !== undefined && names.has(owner.toLowerCase()) && !names.has(lower)) return this.pseudonym("pod", term);
    for (const kind of PSEUDONYM_KINDS) {
      const existing = this.#byOriginal.get(`${kind}\0${lower}`);
      if (existing) return existing;
    }
    return this.pseudonym("term", term);
  }

  #hostLike(host: string): string {
    if (/^[\d.]+(?::\d+)?$/.test(host) || isIpv6(host.replace(/^\[|\]$/g, ""))) return "<ip>";
    return this.pseudonym("host", host.replace(/:\d+$/, ""));
  }

  /** Keep the shape of a URL path, not its identifiers: known names pseudonymized, ids generalized. */
  #genericPath(path: string): string {
    if (!path) return "";
    return path
      .split("/")
      .map((segment) => {
        if (!segment) return segment;
        if (/\d/.test(segment) && /^[A-Za-z0-9_.-]{6,}$/.test(segment)) return "<id>";
        if (/^\d+$/.test(segment)) return "<id>";
        const terms = this.#terms();
        if (terms && new RegExp(terms.source, "i").test(segment)) return this.#pseudonymOfTerm(segment);
        return encodeURIComponent(decodeSafe(segment)).replace(/%2D/gi, "-");
      })
      .join("/");
  }

  #hash(kind: PseudonymKind, original: string, hex: number): string {
    return createHmac("sha256", this.#key).update(`${kind}\0${original.toLowerCase()}`).digest("hex").slice(0, hex);
  }

  #issue(kind: PseudonymKind, original: string, make: (hex: number) => string): string {
    let pseudonym = make(HASH_HEX);
    const clash = this.#byPseudonym.get(pseudonym);
    if (clash && clash.original.toLowerCase() !== original.toLowerCase()) pseudonym = make(LONG_HASH_HEX);
    const entry: PseudonymEntry = { pseudonym, kind, original };
    this.#remember(entry);
    this.#onRegister?.(entry);
    return pseudonym;
  }

  #remember(entry: PseudonymEntry): void {
    this.#byPseudonym.set(entry.pseudonym, entry);
    this.#byOriginal.set(`${entry.kind}\0${entry.original.toLowerCase()}`, entry.pseudonym);
    this.#termRegexDirty = true;
  }
}

/** Opaque enough to be a key or an id: a long mixed segment, or a long run with upper, lower and digits. */
function isToken(candidate: string): boolean {
  if (RE_OWN.test(candidate)) return false;
  const mixed = (s: string) => /\d/.test(s) && /[A-Za-z]/.test(s);
  if (candidate.split(/[-_./]/).some((segment) => segment.length >= 16 && mixed(segment))) return true;
  return candidate.length >= 32 && /[a-z]/.test(candidate) && /[A-Z]/.test(candidate) && /\d/.test(candidate);
}

function isIpv6(candidate: string): boolean {
  // "::" alone, or hex-only words like "dead:beef" with one colon, are not addresses worth flagging.
  if (!candidate.includes(":")) return false;
  const groups = candidate.split(":").filter(Boolean);
  if (candidate.includes("::")) return groups.length >= 1 && candidate.length >= 3 && /[0-9a-f]/i.test(candidate);
  return groups.length === 8;
}

function isOwnUrl(url: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)(.*)$/i.exec(url);
  if (!m) return false;
  const host = m[1] ?? "";
  const rest = m[2] ?? "";
  return RE_OWN.test(host) && !rest.includes("?");
}

function isInsideOwnUrl(s: string, host: string): boolean {
  return s.includes(`://${host}`) && RE_OWN.test(host);
}

function decodeSafe(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The string form of every leaf of a JSON-like value, for checks over a whole structure. */
export function stringsOf(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 32) return out;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out, depth + 1);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      stringsOf(v, out, depth + 1);
    }
  }
  return out;
}

/** Detector hits over every string of a structure, each with where it was found. */
export function detectDeep(anonymizer: Anonymizer, value: unknown): Array<DetectorHit & { in: string }> {
  const hits: Array<DetectorHit & { in: string }> = [];
  for (const s of new Set(stringsOf(value))) {
    for (const hit of anonymizer.detectors(s)) hits.push({ ...hit, in: s.length > 80 ? `${s.slice(0, 77)}…` : s });
  }
  return hits;
}
