import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Prompts live in `prompts/*.md` so a prompt change is a reviewable diff with its own version hash. */
export const PROMPT_NAMES = ["rewrite-summary", "explorer-system", "explorer-conclude", "untrusted-data"] as const;
export type PromptName = (typeof PROMPT_NAMES)[number];

export interface Prompt {
  name: PromptName;
  /** The text sent to the model, with `{{include}}` blocks expanded. */
  content: string;
  /** sha256 of `content`, first 12 hex: recorded with each investigation so results can be tied to a prompt. */
  hash: string;
}

const PROMPT_DIR = join(import.meta.dirname, "prompts");
const cache = new Map<PromptName, Prompt>();

export function promptHash(content: string): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 12);
}

function isPromptName(name: string): name is PromptName {
  return (PROMPT_NAMES as readonly string[]).includes(name);
}

/** Load one prompt; `{{other-prompt}}` includes another prompt file (one level, so shared rules stay in one place). */
export function loadPrompt(name: PromptName): Prompt {
  const cached = cache.get(name);
  if (cached) return cached;
  const raw = readFileSync(join(PROMPT_DIR, `${name}.md`), "utf8");
  const content = raw
    .replace(/\{\{([a-z0-9-]+)\}\}/g, (match, include: string) =>
      isPromptName(include) && include !== name
        ? readFileSync(join(PROMPT_DIR, `${include}.md`), "utf8").trim()
        : match,
    )
    .trim();
  const prompt: Prompt = { name, content, hash: promptHash(content) };
  cache.set(name, prompt);
  return prompt;
}

/** Every prompt's version hash, e.g. for the investigation result or the eval report. */
export function promptVersions(): Record<PromptName, string> {
  const out = {} as Record<PromptName, string>;
  for (const name of PROMPT_NAMES) out[name] = loadPrompt(name).hash;
  return out;
}
