/**
 * A scripted OpenAI-compatible server on node:http for offline tests of the LLM layer (docs/testing.md §4.6).
 *
 * - `POST /v1/chat/completions`: non-streaming JSON, or SSE chunks when the request says `stream: true`.
 * - `GET /v1/models`: the configured model ids.
 * - The script is an ordered list of steps, plus `match` rules tried first on every request. A rule matches a
 *   regex against the last user/tool message (or any message, with `on: "any"`).
 * - A step answers with assistant `content`, `tool_calls`, `json` (serialized into `content`, for structured
 *   outputs), or a fault: `status` (429 with `Retry-After`, 500…), `delay` past the client's timeout, or
 *   `malformed` JSON.
 * - Requests are validated as the real API would: `model` present, messages well formed, tools valid JSON-schema
 *   function definitions, `response_format.json_schema` present when the step says it expects one. A bad request
 *   gets a 400 with an OpenAI-shaped error body, so a broken client is loud.
 * - Every response carries `usage` and a unique `id` (LangGraph's message reducer overwrites equal ids).
 * - Every request is recorded with its parsed body, so tests assert what the model was sent.
 *
 * @example
 * const llm = await startFakeOpenAI({ steps: [{ json: { headline: "x" }, expectJsonSchema: true }] });
 * const client = new OpenAI({ baseURL: `${llm.url}/v1`, apiKey: "test" });
 * await llm.stop();
 */
import type { ServerResponse } from "node:http";
import { type RecordedRequest, startRecordingServer } from "../harness/recording-server.ts";

export interface ScriptedToolCall {
  name: string;
  /** An object is JSON-serialized; a string is sent as is (to script malformed arguments). */
  arguments: Record<string, unknown> | string;
  id?: string;
}

export interface ScriptedResponse {
  content?: string | null;
  tool_calls?: ScriptedToolCall[];
  /** Structured output: serialized into `content`. */
  json?: unknown;
  /** Reject the request with 400 unless it carries `response_format.json_schema`. */
  expectJsonSchema?: boolean;
  /** Reject the request with 400 unless it offers tools. */
  expectTools?: boolean;
  /** Reply with this HTTP status and an error body instead of a completion. */
  status?: number;
  /** `Retry-After` header (seconds) for a status reply. */
  retryAfter?: string;
  /** Wait this long before answering (to exceed a client timeout). */
  delayMs?: number;
  /** Answer `200` with a body that is not JSON. */
  malformed?: boolean;
  usage?: { prompt_tokens: number; completion_tokens: number };
  finish_reason?: string;
}

export interface ScriptRule {
  match: RegExp;
  /** Which messages the regex runs on; default the last user or tool message. */
  on?: "last" | "any";
  respond: ScriptedResponse;
  /** How many times the rule may fire; default unlimited. */
  times?: number;
}

export interface FakeOpenAIOptions {
  /** Answered in order, one per request that no rule matched. */
  steps?: ScriptedResponse[];
  rules?: ScriptRule[];
  /** What to answer when the script has run out; default a 500 naming the fake, so a test never hangs on it. */
  fallback?: ScriptedResponse;
  models?: string[];
}

export interface RecordedChatRequest {
  /** The parsed request body, whatever it contained. */
  body: Record<string, unknown>;
  /** What the server answered: the status and the step it served. */
  status: number;
  step?: ScriptedResponse;
}

export interface FakeOpenAI {
  url: string;
  /** The base URL an OpenAI client takes (`…/v1`). */
  baseURL: string;
  /** Every HTTP request, raw. */
  requests: RecordedRequest[];
  /** Every chat completion request, parsed, with what was answered. */
  chatRequests: RecordedChatRequest[];
  /** Append steps to the script. */
  push(...steps: ScriptedResponse[]): void;
  /** Steps not served yet. */
  remaining(): number;
  stop(): Promise<void>;
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function apiError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const type = status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error";
  sendJson(res, status, { error: { message, type, param: null, code: null } }, headers);
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p && typeof p === "object" && "text" in p ? String(p.text) : "")).join("");
  }
  return "";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return Boolean(value) && typeof value === "object" && !Array.isArray(value);
}

const SCHEMA_TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);

/** A light JSON-schema sanity check: the shapes a real server would reject outright. */
function schemaProblem(schema: unknown, path: string): string | undefined {
  if (!isObject(schema)) return `${path} is not an object`;
  const type = schema.type;
  const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
  for (const t of types) if (typeof t !== "string" || !SCHEMA_TYPES.has(t)) return `${path}.type ${String(t)} invalid`;
  if (schema.properties !== undefined) {
    if (!isObject(schema.properties)) return `${path}.properties is not an object`;
    for (const [key, sub] of Object.entries(schema.properties)) {
      const problem = schemaProblem(sub, `${path}.properties.${key}`);
      if (problem) return problem;
    }
  }
  if (schema.required !== undefined) {
    if (!Array.isArray(schema.required)) return `${path}.required is not an array`;
    const props = isObject(schema.properties) ? schema.properties : {};
    for (const r of schema.required) if (!(String(r) in props)) return `${path}.required names unknown ${r}`;
  }
  if (schema.items !== undefined) return schemaProblem(schema.items, `${path}.items`);
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const list = schema[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return `${path}.${key} is not an array`;
    for (const [i, sub] of list.entries()) {
      const problem = schemaProblem(sub, `${path}.${key}[${i}]`);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** What a real server would answer 400 to, or undefined when the request is well formed. */
export function validateChatRequest(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== "string" || !body.model) return "model is required";
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "messages must be a non-empty array";
  const toolCallIds = new Set<string>();
  for (const [i, m] of body.messages.entries()) {
    if (!isObject(m) || typeof m.role !== "string" || !ROLES.has(m.role)) return `messages[${i}].role invalid`;
    if (m.role === "tool") {
      if (typeof m.tool_call_id !== "string") return `messages[${i}].tool_call_id is required`;
      if (!toolCallIds.has(m.tool_call_id)) return `messages[${i}] answers unknown tool_call_id ${m.tool_call_id}`;
    }
    if (m.role === "assistant" && Array.isArray(m.tool_calls)) {
      for (const call of m.tool_calls) {
        if (!isObject(call) || typeof call.id !== "string" || !isObject(call.function)) {
          return `messages[${i}].tool_calls malformed`;
        }
        toolCallIds.add(call.id);
      }
      continue;
    }
    const content = m.content;
    if (typeof content !== "string" && !Array.isArray(content)) return `messages[${i}].content must be a string`;
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return "tools must be an array";
    const names = new Set<string>();
    for (const [i, tool] of body.tools.entries()) {
      if (!isObject(tool) || tool.type !== "function" || !isObject(tool.function)) return `tools[${i}] malformed`;
      const name = tool.function.name;
      if (typeof name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) return `tools[${i}].function.name invalid`;
      if (names.has(name)) return `tools[${i}].function.name ${name} duplicated`;
      names.add(name);
      const params = tool.function.parameters;
      if (params !== undefined) {
        if (!isObject(params) || params.type !== "object") return `tools[${i}].function.parameters must be an object`;
        const problem = schemaProblem(params, `tools[${i}].function.parameters`);
        if (problem) return problem;
      }
    }
  }
  if (body.response_format !== undefined) {
    const rf = body.response_format;
    if (!isObject(rf) || typeof rf.type !== "string") return "response_format malformed";
    if (rf.type === "json_schema") {
      const js = rf.json_schema;
      if (!isObject(js) || typeof js.name !== "string") return "response_format.json_schema.name is required";
      const problem = schemaProblem(js.schema, "response_format.json_schema.schema");
      if (problem) return problem;
    }
  }
  return undefined;
}

function lastUserOrToolText(messages: unknown[]): string {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const m = messages[i];
    if (isObject(m) && (m.role === "user" || m.role === "tool")) return textOf(m.content);
  }
  return "";
}

/** Start the fake on 127.0.0.1 with an ephemeral port. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const steps = [...(options.steps ?? [])];
  const rules = (options.rules ?? []).map((r) => ({ ...r, fired: 0 }));
  const chatRequests: RecordedChatRequest[] = [];
  let counter = 0;
  const models = options.models ?? ["vigil-test-model"];

  function pick(messages: unknown[]): ScriptedResponse | undefined {
    const last = lastUserOrToolText(messages);
    const all = messages.map((m) => (isObject(m) ? `${textOf(m.content)}\n${JSON.stringify(m.tool_calls ?? "")}` : ""));
    for (const rule of rules) {
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      const hit = rule.on === "any" ? all.some((t) => rule.match.test(t)) : rule.match.test(last);
      if (!hit) continue;
      rule.fired += 1;
      return rule.respond;
    }
    return steps.shift() ?? options.fallback;
  }

  async function answer(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const record: RecordedChatRequest = { body, status: 200 };
    chatRequests.push(record);
    const invalid = validateChatRequest(body);
    if (invalid) {
      record.status = 400;
      apiError(res, 400, invalid);
      return;
    }
    const step = pick(body.messages as unknown[]);
    record.step = step;
    if (!step) {
      record.status = 500;
      apiError(res, 500, "fake openai: script exhausted");
      return;
    }
    if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
    if (res.destroyed) return;
    if (step.expectJsonSchema && !isObject((body.response_format as Record<string, unknown>)?.json_schema)) {
      record.status = 400;
      apiError(res, 400, "fake openai: this step expects response_format.json_schema");
      return;
    }
    if (step.expectTools && !Array.isArray(body.tools)) {
      record.status = 400;
      apiError(res, 400, "fake openai: this step expects tools");
      return;
    }
    if (step.status) {
      record.status = step.status;
      apiError(
        res,
        step.status,
        `fake openai: scripted ${step.status}`,
        step.retryAfter ? { "retry-after": step.retryAfter } : {},
      );
      return;
    }
    if (step.malformed) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"id": "chatcmpl-broken", "choices": [ {"message": ');
      return;
    }
    counter += 1;
    const id = `chatcmpl-fake-${counter}-${Date.now().toString(36)}`;
    const toolCalls = step.tool_calls?.map((call, i) => ({
      id: call.id ?? `call_${counter}_${i}`,
      type: "function" as const,
      function: {
        name: call.name,
        arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
      },
    }));
    const content = step.json !== undefined ? JSON.stringify(step.json) : (step.content ?? null);
    const usage = step.usage ?? { prompt_tokens: 100, completion_tokens: 20 };
    const message = {
      role: "assistant" as const,
      content,
      refusal: null,
      ...(toolCalls && toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    };
    const finishReason = step.finish_reason ?? (toolCalls && toolCalls.length > 0 ? "tool_calls" : "stop");
    const created = Math.floor(Date.now() / 1000);
    const fullUsage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
    if (body.stream === true) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const chunk = (delta: unknown, finish: string | null, extra: Record<string, unknown> = {}) =>
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
      res.write(chunk({ role: "assistant", content: content ?? "" }, null));
      if (toolCalls) {
        res.write(chunk({ tool_calls: toolCalls.map((c, index) => ({ index, ...c })) }, null));
      }
      res.write(chunk({}, finishReason));
      const options = body.stream_options as Record<string, unknown> | undefined;
      if (options?.include_usage) {
        res.write(
          `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: body.model, choices: [], usage: fullUsage })}\n\n`,
        );
      }
      res.end("data: [DONE]\n\n");
      return;
    }
    sendJson(res, 200, {
      id,
      object: "chat.completion",
      created,
      model: body.model,
      choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
      usage: fullUsage,
    });
  }

  const server = await startRecordingServer(async (req, res) => {
    if (req.method === "GET" && req.path === "/v1/models") {
      sendJson(res, 200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "vigil-fake" })),
      });
      return;
    }
    if (req.method !== "POST" || req.path !== "/v1/chat/completions") {
      apiError(res, 404, `fake openai: no route ${req.method} ${req.path}`);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      apiError(res, 400, "request body is not JSON");
      return;
    }
    if (!isObject(body)) {
      apiError(res, 400, "request body must be an object");
      return;
    }
    await answer(body, res);
  });

  return {
    url: server.url,
    baseURL: `${server.url}/v1`,
    requests: server.requests,
    chatRequests,
    push: (...more) => {
      steps.push(...more);
    },
    remaining: () => steps.length,
    stop: () => server.stop(),
  };
}
