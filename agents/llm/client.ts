import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import type {
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption,
} from "openai/resources/chat/completions";
import { z } from "zod";
import { redactText } from "../../tools/redact/redact.ts";
import type { LlmConfig } from "./config.ts";

export type LlmMessage = ChatCompletionMessageParam;
export type LlmTool = ChatCompletionFunctionTool;

/** Why an LLM call did not produce a usable answer. The graph branches on `kind`; nothing throws into it. */
export interface LlmFailure {
  kind: "timeout" | "rate_limited" | "http" | "network" | "malformed" | "refused" | "budget" | "aborted";
  message: string;
  status?: number;
}

export type LlmResult<T> = { ok: true; data: T } | { ok: false; error: LlmFailure };

/** One model call, named with the OpenTelemetry GenAI semantic conventions so a tracer can copy it onto a span. */
export interface LlmCallRecord {
  "gen_ai.operation.name": "chat";
  "gen_ai.provider.name": "openai";
  "gen_ai.request.model": string;
  "gen_ai.response.model"?: string;
  "gen_ai.response.id"?: string;
  "gen_ai.response.finish_reasons"?: string[];
  "gen_ai.usage.input_tokens": number;
  "gen_ai.usage.output_tokens": number;
  /** What the call was for, e.g. "rewrite_summary", "explorer_step". */
  "vigil.llm.purpose": string;
  "vigil.llm.cost_usd": number;
  "vigil.llm.duration_ms": number;
  /** Set when the call failed: the failure kind. */
  "error.type"?: LlmFailure["kind"];
  startedAt: number;
}

export interface LlmUsage {
  calls: number;
  errors: number;
  /** Calls refused before they were sent (budget). */
  refused: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface ToolCallRequest {
  id: string;
  name: string;
  /** Raw JSON text as the model wrote it; the caller validates it. */
  arguments: string;
}

export interface ToolTurn {
  content: string | null;
  toolCalls: ToolCallRequest[];
  finishReason?: string;
  /** The assistant message to append to the conversation before the tool answers. */
  message: LlmMessage;
}

export interface CallOptions {
  /** Aborts the call (e.g. when the strategy's wall-clock budget runs out). */
  signal?: AbortSignal;
  /** Label for the call record; default "chat". */
  purpose?: string;
}

export interface LlmClientOptions {
  /** Reuse an SDK client (connection pool) across per-investigation ledgers. */
  openai?: OpenAI;
  /** Most completion tokens one call may use; default 2048, and never more than the budget left. */
  maxOutputTokensPerCall?: number;
}

/** Below this many tokens left, a call cannot say anything useful: refuse it rather than send it. */
const MIN_OUTPUT_TOKENS = 64;
/** Rough size of a token for estimating a prompt before it is sent (no tokenizer dependency). */
const CHARS_PER_TOKEN = 4;

// The boundary: an OpenAI-compatible server (vLLM, Ollama, llama.cpp) may answer loosely; read it defensively.
const completionSchema = z.object({
  id: z.string().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                id: z.string(),
                type: z.string().optional(),
                function: z.object({ name: z.string(), arguments: z.string().default("") }),
              }),
            )
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
});
type Completion = z.infer<typeof completionSchema>;

function redactContent(content: unknown): unknown {
  if (typeof content === "string") return redactText(content);
  if (!Array.isArray(content)) return content;
  return content.map((part) =>
    part && typeof part === "object" && "text" in part && typeof part.text === "string"
      ? { ...part, text: redactText(part.text) }
      : part,
  );
}

/** Every message leaves the process redacted: content, text parts and tool-call arguments. */
export function redactMessages(messages: LlmMessage[]): LlmMessage[] {
  return messages.map((m) => {
    const out = { ...m, content: redactContent(m.content) } as LlmMessage;
    if (m.role === "assistant" && m.tool_calls) {
      (out as { tool_calls: unknown }).tool_calls = m.tool_calls.map((call) =>
        call.type === "function"
          ? { ...call, function: { ...call.function, arguments: redactText(call.function.arguments) } }
          : call,
      );
    }
    return out;
  });
}

function failureOf(error: unknown, deadlineHit: boolean, timeoutMs: number): LlmFailure {
  if (deadlineHit || error instanceof OpenAI.APIConnectionTimeoutError) {
    return { kind: "timeout", message: `no answer within ${timeoutMs} ms` };
  }
  if (error instanceof OpenAI.APIUserAbortError) return { kind: "aborted", message: "call aborted" };
  if (error instanceof OpenAI.RateLimitError) {
    return { kind: "rate_limited", message: "rate limited (429) after retry", status: 429 };
  }
  if (error instanceof OpenAI.APIError && typeof error.status === "number") {
    return { kind: "http", message: `HTTP ${error.status}: ${redactText(error.message)}`, status: error.status };
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return { kind: "network", message: redactText(error.message) };
  }
  if (error instanceof SyntaxError) return { kind: "malformed", message: `response is not JSON: ${error.message}` };
  return { kind: "network", message: redactText((error as Error)?.message ?? String(error)) };
}

/**
 * The LLM adapter: an OpenAI-compatible chat client with redaction, a per-investigation usage ledger and a hard
 * token budget. Create one per investigation (or `fork()` a shared one) so the budget is per investigation.
 * Methods never throw: failures come back as `{ ok: false, error }`.
 *
 * @example
 * const llm = new LlmClient(parseLlmConfig({ baseURL: "http://127.0.0.1:8000/v1", model: "qwen2.5" }));
 * const answer = await llm.chatJson(messages, z.object({ headline: z.string() }), "headline");
 * if (answer.ok) console.log(answer.data.headline, llm.usage());
 */
export class LlmClient {
  readonly config: LlmConfig;
  /** Every call, in order, with GenAI attribute names. */
  readonly records: LlmCallRecord[] = [];
  readonly #openai: OpenAI;
  readonly #options: LlmClientOptions;
  readonly #usage: LlmUsage = { calls: 0, errors: 0, refused: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };

  constructor(config: LlmConfig, options: LlmClientOptions = {}) {
    this.config = config;
    this.#options = options;
    this.#openai =
      options.openai ??
      new OpenAI({
        baseURL: config.baseURL,
        // The SDK refuses to start without a key; local servers ignore it.
        apiKey: config.apiKey ?? "not-needed",
        timeout: config.timeoutMs,
        maxRetries: 1,
      });
  }

  /** A client with a fresh ledger and budget that shares this one's connection pool. */
  fork(): LlmClient {
    return new LlmClient(this.config, { ...this.#options, openai: this.#openai });
  }

  usage(): LlmUsage {
    return { ...this.#usage };
  }

  /** Tokens left in this investigation's budget. */
  remainingTokens(): number {
    const spent = this.#usage.promptTokens + this.#usage.completionTokens;
    return Math.max(0, this.config.maxTokensPerInvestigation - spent);
  }

  /** Structured output: the answer must be JSON matching `schema`, or the call fails with kind "malformed". */
  async chatJson<T>(
    messages: LlmMessage[],
    schema: z.ZodType<T>,
    name: string,
    options: CallOptions = {},
  ): Promise<LlmResult<T>> {
    let responseFormat: ReturnType<typeof zodResponseFormat>;
    try {
      responseFormat = zodResponseFormat(schema, name);
    } catch (error) {
      // A schema the API cannot take (e.g. `.optional()` without `.nullable()`) is a programming error; report it.
      return { ok: false, error: { kind: "malformed", message: `schema ${name}: ${(error as Error).message}` } };
    }
    const answer = await this.#call(
      { messages, response_format: { type: "json_schema", json_schema: responseFormat.json_schema } },
      options.purpose ?? name,
      options.signal,
    );
    if (!answer.ok) return answer;
    const message = answer.data.choices[0]?.message;
    if (message?.refusal) return { ok: false, error: { kind: "refused", message: redactText(message.refusal) } };
    let parsed: unknown;
    try {
      parsed = JSON.parse(message?.content ?? "");
    } catch {
      return this.#malformed(`${name}: content is not JSON`);
    }
    const checked = schema.safeParse(parsed);
    if (!checked.success) return this.#malformed(`${name}: ${z.prettifyError(checked.error).slice(0, 500)}`);
    return { ok: true, data: checked.data };
  }

  /** One ReAct turn: the model answers with text or asks for tools. Tool calls are returned, never run here. */
  async chatWithTools(
    messages: LlmMessage[],
    tools: LlmTool[],
    options: CallOptions & { toolChoice?: ChatCompletionToolChoiceOption } = {},
  ): Promise<LlmResult<ToolTurn>> {
    const answer = await this.#call(
      { messages, tools, tool_choice: options.toolChoice ?? "auto" },
      options.purpose ?? "chat_with_tools",
      options.signal,
    );
    if (!answer.ok) return answer;
    const choice = answer.data.choices[0];
    const toolCalls = (choice?.message.tool_calls ?? []).map((c) => ({
      id: c.id,
      name: c.function.name,
      arguments: c.function.arguments,
    }));
    const content = choice?.message.content ?? null;
    const message: LlmMessage = {
      role: "assistant",
      content,
      ...(toolCalls.length > 0
        ? {
            tool_calls: toolCalls.map((c) => ({
              id: c.id,
              type: "function" as const,
              function: { name: c.name, arguments: c.arguments },
            })),
          }
        : {}),
    };
    return { ok: true, data: { content, toolCalls, finishReason: choice?.finish_reason ?? undefined, message } };
  }

  /** The model ids the endpoint serves; a cheap health check for the daemon. */
  async listModels(): Promise<LlmResult<string[]>> {
    try {
      const page = await this.#openai.models.list({ timeout: this.config.timeoutMs, maxRetries: 0 });
      return { ok: true, data: page.data.map((m) => m.id) };
    } catch (error) {
      return { ok: false, error: failureOf(error, false, this.config.timeoutMs) };
    }
  }

  #malformed(message: string): LlmResult<never> {
    this.#usage.errors += 1;
    const last = this.records.at(-1);
    if (last) last["error.type"] = "malformed";
    return { ok: false, error: { kind: "malformed", message } };
  }

  #estimateTokens(body: unknown): number {
    return Math.ceil(JSON.stringify(body).length / CHARS_PER_TOKEN);
  }

  async #call(
    request: {
      messages: LlmMessage[];
      tools?: LlmTool[];
      tool_choice?: ChatCompletionToolChoiceOption;
      response_format?: OpenAI.ResponseFormatJSONSchema;
    },
    purpose: string,
    signal?: AbortSignal,
  ): Promise<LlmResult<Completion>> {
    const body = { ...request, messages: redactMessages(request.messages) };
    const estimate = this.#estimateTokens(body);
    const left = this.remainingTokens() - estimate;
    if (left < MIN_OUTPUT_TOKENS) {
      this.#usage.refused += 1;
      return {
        ok: false,
        error: {
          kind: "budget",
          message: `token budget of ${this.config.maxTokensPerInvestigation} spent (${this.remainingTokens()} left, ~${estimate} needed for the prompt)`,
        },
      };
    }
    const maxTokens = Math.min(this.#options.maxOutputTokensPerCall ?? 2048, left);
    const startedAt = Date.now();
    const record: LlmCallRecord = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": this.config.model,
      "gen_ai.usage.input_tokens": 0,
      "gen_ai.usage.output_tokens": 0,
      "vigil.llm.purpose": purpose,
      "vigil.llm.cost_usd": 0,
      "vigil.llm.duration_ms": 0,
      startedAt,
    };
    this.records.push(record);
    this.#usage.calls += 1;

    // One deadline for the whole call, retries included, so a slow endpoint costs at most `timeoutMs`.
    const controller = new AbortController();
    let deadlineHit = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        deadlineHit = true;
        controller.abort();
        reject(new Error("deadline"));
      }, this.config.timeoutMs);
    });
    const signals = signal ? AbortSignal.any([controller.signal, signal]) : controller.signal;
    try {
      const raw = await Promise.race([
        this.#openai.chat.completions.create(
          { model: this.config.model, ...body, max_tokens: maxTokens, stream: false },
          { signal: signals },
        ),
        deadline,
      ]);
      const parsed = completionSchema.safeParse(raw);
      if (!parsed.success) {
        this.#finish(record, estimate, 0, startedAt);
        return this.#malformed(`completion shape: ${z.prettifyError(parsed.error).slice(0, 300)}`);
      }
      const completion = parsed.data;
      // A server that reports no usage is charged the estimate, so the budget stays a hard limit.
      const input = completion.usage?.prompt_tokens ?? estimate;
      const output = completion.usage?.completion_tokens ?? this.#estimateTokens(completion.choices[0]?.message ?? {});
      this.#finish(record, input, output, startedAt);
      record["gen_ai.response.id"] = completion.id;
      record["gen_ai.response.model"] = completion.model;
      record["gen_ai.response.finish_reasons"] = completion.choices.map((c) => c.finish_reason ?? "unknown");
      return { ok: true, data: completion };
    } catch (error) {
      const failure = failureOf(error, deadlineHit, this.config.timeoutMs);
      this.#finish(record, 0, 0, startedAt);
      record["error.type"] = failure.kind;
      this.#usage.errors += 1;
      return { ok: false, error: failure };
    } finally {
      clearTimeout(timer);
    }
  }

  #finish(record: LlmCallRecord, input: number, output: number, startedAt: number): void {
    const cost =
      (input * (this.config.inputCostPerMTok ?? 0) + output * (this.config.outputCostPerMTok ?? 0)) / 1_000_000;
    record["gen_ai.usage.input_tokens"] = input;
    record["gen_ai.usage.output_tokens"] = output;
    record["vigil.llm.cost_usd"] = cost;
    record["vigil.llm.duration_ms"] = Date.now() - startedAt;
    this.#usage.promptTokens += input;
    this.#usage.completionTokens += output;
    this.#usage.costUsd += cost;
  }
}

/** Convenience for callers that hold only a config. */
export function createLlmClient(config: LlmConfig, options?: LlmClientOptions): LlmClient {
  return new LlmClient(config, options);
}
