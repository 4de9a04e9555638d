/**
 * The environment variables of feedback and strategy ranking, in the shape of `ENV_DOCS` in src/config.ts, and
 * their parsing. Kept here so config.ts gains them with one spread.
 *
 * @example
 * const settings = feedbackSettingsFromEnv(process.env);
 * settings.allowlist; // { users: ["U0ALICE"], groups: ["S0ONCALL"] }
 */
import { z } from "zod";
import { parseClassLabels } from "../ranking/alert-class.ts";
import { DEFAULT_HALF_LIFE_DAYS } from "../ranking/statistics.ts";
import { type Allowlist, parseAllowlist } from "./allowlist.ts";

export const FEEDBACK_ENV_DOCS: Array<{ name: string; default?: string; description: string }> = [
  {
    name: "VIGIL_FEEDBACK_ALLOWLIST",
    description:
      "Comma-separated Slack user ids (U…) and user-group ids (S…) whose feedback Vigil learns from; others are " +
      "recorded but not learned from. Empty: everyone. Groups need the usergroups:read scope",
  },
  {
    name: "VIGIL_ALERT_CLASS_LABELS",
    description:
      "Comma-separated label keys that make up an alert class besides the alert name (the keys present, never " +
      "their values); empty: every label key",
  },
  {
    name: "VIGIL_RANKING_HALF_LIFE_DAYS",
    default: String(DEFAULT_HALF_LIFE_DAYS),
    description: "Half-life of an outcome's weight in the strategy ranking, in days",
  },
  {
    name: "VIGIL_MAX_STRATEGIES",
    description: "Run at most this many strategies per investigation, the most promising first (default: all)",
  },
];

const envSchema = z.object({
  VIGIL_FEEDBACK_ALLOWLIST: z.string().optional(),
  VIGIL_ALERT_CLASS_LABELS: z.string().optional(),
  VIGIL_RANKING_HALF_LIFE_DAYS: z.coerce.number().positive().max(3650).default(DEFAULT_HALF_LIFE_DAYS),
  VIGIL_MAX_STRATEGIES: z.coerce.number().int().positive().optional(),
});

export interface FeedbackSettings {
  allowlist: Allowlist;
  classLabels?: string[];
  halfLifeDays: number;
  maxStrategies?: number;
}

export function feedbackSettingsFromEnv(env: Record<string, string | undefined>): FeedbackSettings {
  // Empty strings are how Helm and compose files say "unset".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.parse(cleaned);
  return {
    allowlist: parseAllowlist(parsed.VIGIL_FEEDBACK_ALLOWLIST),
    classLabels: parseClassLabels(parsed.VIGIL_ALERT_CLASS_LABELS),
    halfLifeDays: parsed.VIGIL_RANKING_HALF_LIFE_DAYS,
    maxStrategies: parsed.VIGIL_MAX_STRATEGIES,
  };
}
