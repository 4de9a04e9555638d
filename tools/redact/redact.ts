/**
 * Secret redaction shared by every room: tool results before they reach an agent, and everything that leaves the
 * process (Slack, LLM prompts, OTLP exports, exported fixtures and patterns, Vigil's own logs).
 *
 * Redaction is pattern-based and errs on the side of hiding: a false positive costs a little readability, a false
 * negative leaks a credential.
 */

export const REDACTED = "[redacted]";

interface Rule {
  name: string;
  pattern: RegExp;
  /** Replacement; `$1`… keep the non-secret part (a key name, a URL's user). */
  replace: string;
}

const RULES: Rule[] = [
  {
    name: "private-key",
    pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    replace: REDACTED,
  },
  { name: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, replace: REDACTED },
  {
    name: "auth-header",
    pattern: /\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
    replace: `$1 ${REDACTED}`,
  },
  { name: "url-password", pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, replace: `$1:${REDACTED}@` },
  { name: "aws-access-key", pattern: /\b(AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g, replace: REDACTED },
  { name: "slack-token", pattern: /\bx(?:ox[abposr]|app)-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  {
    name: "github-token",
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g,
    replace: REDACTED,
  },
  { name: "google-api-key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: REDACTED },
  { name: "stripe-key", pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g, replace: REDACTED },
  { name: "openai-key", pattern: /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}/g, replace: REDACTED },
  {
    name: "gcp-service-account",
    pattern: /"private_key_id"\s*:\s*"[0-9a-f]{20,}"/g,
    replace: `"private_key_id": "${REDACTED}"`,
  },
  {
    name: "key-value",
    // password=…, "api_key": "…", secret: … — keep the key, hide the value (quoted or bare).
    pattern:
      /\b((?:[A-Za-z0-9_.-]*[_.-])?(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|client[_-]?secret|auth[_-]?token|session[_-]?id|credentials?|private[_-]?key)["']?\s*[:=]\s*)(?!\[redacted\])("[^"]*"|'[^']*'|[^\s,;&"'}\]]+)/gi,
    replace: `$1${REDACTED}`,
  },
];

/** Keys whose values are secret whatever they look like. */
const SENSITIVE_KEY =
  /^(?:.*[_.-])?(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|client[_-]?secret|authorization|cookie|set-cookie|private[_-]?key|credentials?)$/i;

export interface RedactionStats {
  count: number;
  rules: Record<string, number>;
}

/** Redact secrets in a string. Values already redacted stay as they are. */
export function redactText(text: string, stats?: RedactionStats): string {
  let out = text;
  for (const rule of RULES) {
    out = out.replace(rule.pattern, (...args: unknown[]) => {
      const match = String(args[0]);
      // Already redacted (idempotence): leave it, and do not count it again.
      if (match.includes(REDACTED)) return match;
      if (stats) {
        stats.count += 1;
        stats.rules[rule.name] = (stats.rules[rule.name] ?? 0) + 1;
      }
      return rule.replace.replace(/\$(\d)/g, (_m, i: string) => String(args[Number(i)] ?? ""));
    });
  }
  return out;
}

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/** Redact every string inside a JSON-like value, and every value under a sensitive key. Returns a copy. */
export function redactDeep<T>(value: T, stats?: RedactionStats, depth = 0): T {
  if (depth > 64) return REDACTED as T;
  if (typeof value === "string") return redactText(value, stats) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, stats, depth + 1)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (isSensitiveKey(key) && v !== null && v !== undefined && v !== "" && typeof v !== "object") {
        if (stats) {
          stats.count += 1;
          stats.rules["sensitive-key"] = (stats.rules["sensitive-key"] ?? 0) + 1;
        }
        out[key] = REDACTED;
        continue;
      }
      out[key] = redactDeep(v, stats, depth + 1);
    }
    return out as T;
  }
  return value;
}

/** True when the text still holds something a rule would redact (used by tests and the quality judges). */
export function containsSecret(text: string): boolean {
  const stats: RedactionStats = { count: 0, rules: {} };
  redactText(text, stats);
  return stats.count > 0;
}
