import { z } from "zod";
import { FEEDBACK_ENV_DOCS } from "./feedback/env-docs.ts";

/**
 * Every environment variable Vigil reads, with its default and meaning. `vigil --help` prints this table, so the
 * documentation cannot drift from the code.
 */
export const ENV_DOCS: Array<{ name: string; default?: string; description: string }> = [
  {
    name: "PORT",
    default: "8080",
    description: "HTTP port of the daemon (webhooks, Slack events, /metrics, /healthz)",
  },
  { name: "HOST", default: "127.0.0.1", description: "Address to bind; set 0.0.0.0 to accept remote connections" },
  { name: "DATABASE_URL", description: "postgres://… to use a Postgres server instead of the embedded PGlite store" },
  { name: "VIGIL_DATA_DIR", default: ".vigil/data", description: "Directory of the embedded PGlite store" },
  { name: "PROMETHEUS_URL", description: "Prometheus (or Thanos/Mimir/VictoriaMetrics) base URL to read metrics from" },
  { name: "PROMETHEUS_BEARER_TOKEN", description: "Bearer token for Prometheus" },
  { name: "PROMETHEUS_TENANT", description: "Tenant sent as X-Scope-OrgID (Mimir, Cortex, Thanos)" },
  {
    name: "VIGIL_SIGNAL_CATALOG",
    description: "Path to a JSON signal catalog that overrides the default PromQL per signal",
  },
  { name: "LOKI_URL", description: "Loki base URL to read logs from" },
  { name: "LOKI_TENANT", description: "Loki tenant (X-Scope-OrgID)" },
  { name: "LOKI_BEARER_TOKEN", description: "Bearer token for Loki" },
  { name: "TEMPO_URL", description: "Tempo base URL to read traces from" },
  { name: "TEMPO_TENANT", description: "Tempo tenant (X-Scope-OrgID)" },
  {
    name: "JAEGER_URL",
    description: "Jaeger query base URL (api_v3, legacy /api as fallback); used when TEMPO_URL is unset",
  },
  {
    name: "KUBERNETES_MODE",
    default: "auto",
    description:
      "auto (in-cluster when running in a pod, else KUBECONFIG when set), in-cluster, kubeconfig, explicit or off",
  },
  { name: "KUBECONFIG", description: "kubeconfig file for KUBERNETES_MODE=kubeconfig (context: KUBERNETES_CONTEXT)" },
  { name: "KUBERNETES_CONTEXT", description: "kubeconfig context to use" },
  { name: "KUBERNETES_SERVER", description: "API server URL for KUBERNETES_MODE=explicit (token: KUBERNETES_TOKEN)" },
  { name: "KUBERNETES_TOKEN", description: "Bearer token for KUBERNETES_MODE=explicit" },
  {
    name: "KUBERNETES_SKIP_TLS_VERIFY",
    default: "false",
    description: "Skip TLS verification (explicit mode; test clusters only)",
  },
  {
    name: "VIGIL_NAMESPACES",
    description: "Comma-separated namespaces Vigil may read (default: all it is allowed to)",
  },
  {
    name: "VIGIL_CHANGES_TOKEN",
    description: "Bearer token CI/CD must send to POST /webhooks/changes (unset: endpoint off)",
  },
  {
    name: "VIGIL_ANONYMIZER_KEY",
    description: "Per-install secret for keyed pseudonyms in learned patterns and anonymized fixture exports",
  },
  {
    name: "VIGIL_EVAL_DIR",
    description: "Directory of `vigil eval --out DIR/RUN` runs the web UI can compare (/ui/compare)",
  },
  { name: "VIGIL_TENANT", default: "default", description: "Tenant of this install's customer context (knowledge/)" },
  { name: "GRAFANA_URL", description: "Grafana base URL for Explore deep links in evidence" },
  {
    name: "LLM_BASE_URL",
    description: "OpenAI-compatible endpoint (OpenAI, vLLM, Ollama); with LLM_MODEL enables the LLM layer",
  },
  { name: "LLM_MODEL", description: "Model name for the LLM layer" },
  { name: "LLM_API_KEY", description: "API key for the LLM endpoint" },
  { name: "LLM_TIMEOUT_MS", default: "30000", description: "Deadline of one LLM call, retries included" },
  { name: "LLM_MAX_TOKENS_PER_INVESTIGATION", default: "20000", description: "Hard token budget of one investigation" },
  { name: "LLM_INPUT_COST_PER_MTOK", description: "Price per million input tokens, for cost reporting" },
  { name: "LLM_OUTPUT_COST_PER_MTOK", description: "Price per million output tokens, for cost reporting" },
  {
    name: "OTEL_EXPORTER_OTLP_ENDPOINT",
    description: "OTLP/HTTP endpoint; each investigation's trace is exported to <endpoint>/v1/traces",
  },
  { name: "SLACK_BOT_TOKEN", description: "Slack bot token (xoxb-…); enables Slack" },
  {
    name: "SLACK_SIGNING_SECRET",
    description: "Slack signing secret; with the bot token, enables the HTTP Events API at POST /slack/events",
  },
  {
    name: "SLACK_APP_TOKEN",
    description: "Slack app-level token (xapp-…); enables Socket Mode instead of HTTP events",
  },
  {
    name: "SLACK_CHANNEL",
    description: "Channel id where alerts from the webhook are posted (their summary goes in the thread)",
  },
  { name: "SLACK_API_URL", description: "Slack Web API base URL (tests point it at a fake)" },
  { name: "VIGIL_PUBLIC_URL", description: "Public base URL of this daemon, used for links in Slack" },
  {
    name: "VIGIL_UI_TOKEN",
    description: "Static token for the web UI and API (Authorization: Bearer, or ?token= once, then a cookie)",
  },
  { name: "VIGIL_UI_BASIC_AUTH", description: "user:password for HTTP Basic auth on the web UI and API" },
  {
    name: "VIGIL_TRUSTED_PROXY_HEADER",
    description: "Header set by an authenticating proxy (e.g. X-Forwarded-User); the proxy must strip it from clients",
  },
  {
    name: "VIGIL_BASELINE_MINUTES",
    default: "60",
    description: "Minutes of baseline before the alert to compare against",
  },
  { name: "VIGIL_STEP_SECONDS", default: "60", description: "Query resolution for live metrics" },
  {
    name: "VIGIL_ABSTAIN_THRESHOLD",
    default: "0.35",
    description: "Confidence below which Vigil reports no conclusive cause",
  },
  { name: "VIGIL_STRATEGY_TIMEOUT_MS", default: "30000", description: "Wall-clock budget of one strategy" },
  { name: "VIGIL_CONCURRENCY", default: "2", description: "Investigations run at once by this process" },
  {
    name: "VIGIL_GROUP_WINDOW_SECONDS",
    default: "300",
    description:
      "Alerts on the same service (or Alertmanager group) within this window join one investigation; 0 = off",
  },
  {
    name: "VIGIL_COOLDOWN_SECONDS",
    default: "0",
    description:
      "Per alert class (name + label keys): later alerts within this time join the last investigation; 0 = off",
  },
  {
    name: "VIGIL_JOB_EXPIRE_SECONDS",
    default: "300",
    description: "A job held longer by a dead worker is retried elsewhere",
  },
  {
    name: "VIGIL_GLOBAL_CONCURRENCY",
    default: "0",
    description: "Most investigations running at once across all replicas; 0 = only VIGIL_CONCURRENCY per process",
  },
  { name: "VIGIL_WEBHOOK_MAX_BYTES", default: "1048576", description: "Largest accepted webhook body" },
  {
    name: "LOG_LEVEL",
    default: "info",
    description: "pino log level (fatal, error, warn, info, debug, trace, silent)",
  },
];

/** An unset or blank variable is absent; values are trimmed. */
function blankToUndefined(value: unknown): unknown {
  if (typeof value !== "string") return value;
  return value.trim() === "" ? undefined : value.trim();
}

ENV_DOCS.push(...FEEDBACK_ENV_DOCS);

const optionalString = z.preprocess(blankToUndefined, z.string().optional());

const optionalUrl = z.preprocess(
  blankToUndefined,
  z.url({ message: "must be a URL such as http://host:port" }).optional(),
);

function intIn(min: number, max: number, fallback: number) {
  return z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ message: "must be a number" })
      .int({ message: "must be an integer" })
      .min(min, { message: `must be at least ${min}` })
      .max(max, { message: `must be at most ${max}` })
      .default(fallback),
  );
}

const envSchema = z
  .object({
    PORT: intIn(0, 65535, 8080),
    HOST: z.preprocess(blankToUndefined, z.string().default("127.0.0.1")),
    DATABASE_URL: z.preprocess(
      blankToUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, { message: "must start with postgres:// or postgresql://" })
        .optional(),
    ),
    VIGIL_DATA_DIR: z.preprocess(blankToUndefined, z.string().default(".vigil/data")),
    PROMETHEUS_URL: optionalUrl,
    PROMETHEUS_BEARER_TOKEN: optionalString,
    PROMETHEUS_TENANT: optionalString,
    VIGIL_SIGNAL_CATALOG: optionalString,
    LOKI_URL: optionalUrl,
    LOKI_TENANT: optionalString,
    LOKI_BEARER_TOKEN: optionalString,
    TEMPO_URL: optionalUrl,
    TEMPO_TENANT: optionalString,
    JAEGER_URL: optionalUrl,
    KUBERNETES_MODE: z.preprocess(
      blankToUndefined,
      z.enum(["auto", "in-cluster", "kubeconfig", "explicit", "off"]).default("auto"),
    ),
    KUBECONFIG: optionalString,
    KUBERNETES_CONTEXT: optionalString,
    KUBERNETES_SERVER: optionalUrl,
    KUBERNETES_TOKEN: optionalString,
    KUBERNETES_SKIP_TLS_VERIFY: z.preprocess(blankToUndefined, z.enum(["true", "false"]).default("false")),
    KUBERNETES_SERVICE_HOST: optionalString,
    VIGIL_NAMESPACES: optionalString,
    VIGIL_CHANGES_TOKEN: optionalString,
    GRAFANA_URL: optionalUrl,
    VIGIL_ANONYMIZER_KEY: optionalString,
    VIGIL_EVAL_DIR: optionalString,
    VIGIL_TENANT: z.preprocess(blankToUndefined, z.string().default("default")),
    LLM_BASE_URL: optionalUrl,
    LLM_MODEL: optionalString,
    LLM_API_KEY: optionalString,
    LLM_TIMEOUT_MS: intIn(100, 600_000, 30_000),
    LLM_MAX_TOKENS_PER_INVESTIGATION: intIn(100, 10_000_000, 20_000),
    LLM_INPUT_COST_PER_MTOK: z.preprocess(
      blankToUndefined,
      z.coerce.number({ message: "must be a number" }).min(0).optional(),
    ),
    LLM_OUTPUT_COST_PER_MTOK: z.preprocess(
      blankToUndefined,
      z.coerce.number({ message: "must be a number" }).min(0).optional(),
    ),
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
    SLACK_BOT_TOKEN: optionalString,
    SLACK_SIGNING_SECRET: optionalString,
    SLACK_APP_TOKEN: optionalString,
    SLACK_CHANNEL: optionalString,
    SLACK_API_URL: optionalUrl,
    VIGIL_PUBLIC_URL: optionalUrl,
    VIGIL_UI_TOKEN: z.preprocess(
      blankToUndefined,
      z.string().min(16, { message: "must be at least 16 characters" }).optional(),
    ),
    VIGIL_UI_BASIC_AUTH: z.preprocess(
      blankToUndefined,
      z
        .string()
        .regex(/^[^:]+:.+$/, { message: "must be user:password" })
        .optional(),
    ),
    VIGIL_TRUSTED_PROXY_HEADER: z.preprocess(
      blankToUndefined,
      z
        .string()
        .regex(/^[A-Za-z0-9-]+$/, { message: "must be a header name such as X-Forwarded-User" })
        .optional(),
    ),
    VIGIL_BASELINE_MINUTES: intIn(1, 7 * 24 * 60, 60),
    VIGIL_STEP_SECONDS: intIn(1, 3600, 60),
    VIGIL_ABSTAIN_THRESHOLD: z.preprocess(
      blankToUndefined,
      z.coerce
        .number({ message: "must be a number" })
        .min(0, { message: "must be between 0 and 1" })
        .max(1, { message: "must be between 0 and 1" })
        .default(0.35),
    ),
    VIGIL_STRATEGY_TIMEOUT_MS: intIn(100, 600_000, 30_000),
    VIGIL_CONCURRENCY: intIn(1, 64, 2),
    VIGIL_GROUP_WINDOW_SECONDS: intIn(0, 86_400, 300),
    VIGIL_COOLDOWN_SECONDS: intIn(0, 86_400, 0),
    VIGIL_JOB_EXPIRE_SECONDS: intIn(10, 86_400, 300),
    VIGIL_GLOBAL_CONCURRENCY: intIn(0, 10_000, 0),
    VIGIL_WEBHOOK_MAX_BYTES: intIn(1024, 64 * 1024 * 1024, 1024 * 1024),
    LOG_LEVEL: z.preprocess(
      blankToUndefined,
      z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.LLM_BASE_URL) !== Boolean(env.LLM_MODEL)) {
      ctx.addIssue({
        code: "custom",
        path: [env.LLM_BASE_URL ? "LLM_MODEL" : "LLM_BASE_URL"],
        message: "is required: LLM_BASE_URL and LLM_MODEL go together",
      });
    }
    if (env.KUBERNETES_MODE === "explicit" && !env.KUBERNETES_SERVER) {
      ctx.addIssue({
        code: "custom",
        path: ["KUBERNETES_SERVER"],
        message: "is required when KUBERNETES_MODE=explicit",
      });
    }
    if (env.KUBERNETES_MODE === "kubeconfig" && !env.KUBECONFIG) {
      ctx.addIssue({ code: "custom", path: ["KUBECONFIG"], message: "is required when KUBERNETES_MODE=kubeconfig" });
    }
    if (env.SLACK_SIGNING_SECRET && !env.SLACK_BOT_TOKEN) {
      ctx.addIssue({
        code: "custom",
        path: ["SLACK_BOT_TOKEN"],
        message: "is required when SLACK_SIGNING_SECRET is set",
      });
    }
    if (env.SLACK_APP_TOKEN && !env.SLACK_BOT_TOKEN) {
      ctx.addIssue({ code: "custom", path: ["SLACK_BOT_TOKEN"], message: "is required when SLACK_APP_TOKEN is set" });
    }
    if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
      ctx.addIssue({
        code: "custom",
        path: ["SLACK_SIGNING_SECRET"],
        message: "or SLACK_APP_TOKEN is required when SLACK_BOT_TOKEN is set (HTTP events or Socket Mode)",
      });
    }
  });

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parse the environment; a bad value throws a `ConfigError` that names each variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => `${issue.path.join(".") || "environment"} ${issue.message}`),
  );
}
