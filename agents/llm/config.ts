import { z } from "zod";

/** Defaults chosen so one investigation costs a few cents at most on a hosted model. */
export const DEFAULT_LLM_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_TOKENS_PER_INVESTIGATION = 20_000;

export const llmConfigSchema = z.object({
  /** An OpenAI-compatible endpoint, e.g. `https://api.openai.com/v1` or `http://vllm:8000/v1`. */
  baseURL: z.url(),
  /** Local servers (vLLM, Ollama) often need none. */
  apiKey: z.string().min(1).optional(),
  model: z.string().min(1),
  timeoutMs: z.number().int().positive().default(DEFAULT_LLM_TIMEOUT_MS),
  maxTokensPerInvestigation: z.number().int().positive().default(DEFAULT_MAX_TOKENS_PER_INVESTIGATION),
  /** USD per million prompt tokens; absent means cost is reported as 0. */
  inputCostPerMTok: z.number().nonnegative().optional(),
  /** USD per million completion tokens. */
  outputCostPerMTok: z.number().nonnegative().optional(),
});

export interface LlmConfig {
  baseURL: string;
  apiKey?: string;
  model: string;
  timeoutMs: number; // default 30000
  maxTokensPerInvestigation: number; // default 20000
  inputCostPerMTok?: number;
  outputCostPerMTok?: number;
}

/** Parse a config object (from the daemon's config file or tests); throws a zod error on bad input. */
export function parseLlmConfig(input: unknown): LlmConfig {
  return llmConfigSchema.parse(input);
}

function numberFrom(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  return Number(value);
}

/**
 * The LLM config from environment variables, or undefined when no LLM is configured (Vigil then investigates
 * deterministically). `LLM_BASE_URL` and `LLM_MODEL` switch it on.
 *
 * @example
 * LLM_BASE_URL=http://127.0.0.1:8000/v1 LLM_MODEL=qwen2.5-7b-instruct LLM_API_KEY=… vigil serve
 */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig | undefined {
  if (!env.LLM_BASE_URL || !env.LLM_MODEL) return undefined;
  return parseLlmConfig({
    baseURL: env.LLM_BASE_URL,
    apiKey: env.LLM_API_KEY || undefined,
    model: env.LLM_MODEL,
    timeoutMs: numberFrom(env.LLM_TIMEOUT_MS),
    maxTokensPerInvestigation: numberFrom(env.LLM_MAX_TOKENS_PER_INVESTIGATION),
    inputCostPerMTok: numberFrom(env.LLM_INPUT_COST_PER_MTOK),
    outputCostPerMTok: numberFrom(env.LLM_OUTPUT_COST_PER_MTOK),
  });
}
