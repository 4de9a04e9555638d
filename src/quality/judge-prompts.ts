import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promptHash } from "../../agents/llm/prompts.ts";

/**
 * Judge prompts live beside the investigation prompts (`agents/llm/prompts/judge-*.md`) so a change to a judge is a
 * reviewable diff with a version hash. They are loaded here rather than through `PROMPT_NAMES` so the investigation's
 * prompt registry stays untouched; the hash is the same function (`promptHash`), so versions are comparable.
 */
export const JUDGE_PROMPT_NAMES = ["judge-next-step", "judge-headline", "judge-cluster-name"] as const;
export type JudgePromptName = (typeof JUDGE_PROMPT_NAMES)[number];

export interface JudgePrompt {
  name: JudgePromptName;
  content: string;
  /** sha256 of `content`, first 12 hex. */
  hash: string;
}

const PROMPT_DIR = join(import.meta.dirname, "..", "..", "agents", "llm", "prompts");
const cache = new Map<JudgePromptName, JudgePrompt>();

/** Load one judge prompt; `{{name}}` includes another prompt file of the same folder (one level, like prompts.ts). */
export function loadJudgePrompt(name: JudgePromptName): JudgePrompt {
  const cached = cache.get(name);
  if (cached) return cached;
  const available = new Set(readdirSync(PROMPT_DIR).map((f) => f.replace(/\.md$/, "")));
  const raw = readFileSync(join(PROMPT_DIR, `${name}.md`), "utf8");
  const content = raw
    .replace(/\{\{([a-z0-9-]+)\}\}/g, (match, include: string) =>
      available.has(include) && include !== name
        ? readFileSync(join(PROMPT_DIR, `${include}.md`), "utf8").trim()
        : match,
    )
    .trim();
  const prompt: JudgePrompt = { name, content, hash: promptHash(content) };
  cache.set(name, prompt);
  return prompt;
}

/** Every judge prompt's version hash, recorded with each judgment and in `collectVersions()`. */
export function judgePromptVersions(): Record<JudgePromptName, string> {
  const out = {} as Record<JudgePromptName, string>;
  for (const name of JUDGE_PROMPT_NAMES) out[name] = loadJudgePrompt(name).hash;
  return out;
}
