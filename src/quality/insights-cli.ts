import { parseArgs } from "node:util";
import { z } from "zod";
import { LlmClient } from "../../agents/llm/client.ts";
import { llmConfigFromEnv } from "../../agents/llm/config.ts";
import { loadConfig } from "../config.ts";
import { openDb } from "../store/db.ts";
import { DEFAULT_MIN_CLUSTER_SIZE, formatInsights, insights, openAiEmbedder } from "./clusters.ts";
import { FacetStore } from "./facets.ts";

export const INSIGHTS_HELP = `  vigil insights                       Cluster finished investigations into what Vigil cannot do yet
        [--tenant T]                   Show as tenant T (its small clusters too); default: only clusters of ≥ min size
        [--min-size N]                 Smallest cluster shown outside its tenant (default ${DEFAULT_MIN_CLUSTER_SIZE})
        [--since-days D]               Only investigations finished in the last D days (default 30)
        [--json]                       Print the report as JSON
`;

const argsSchema = z.object({
  tenant: z.string().min(1).optional(),
  minSize: z.coerce.number().int().positive().default(DEFAULT_MIN_CLUSTER_SIZE),
  sinceDays: z.coerce.number().positive().default(30),
  json: z.boolean().default(false),
});

/**
 * `vigil insights`: read the stored facets, cluster them and print the clusters the viewer may see. Uses the
 * embeddings endpoint when `VIGIL_EMBEDDINGS_MODEL` is set (with the LLM's base URL and key), and lets the LLM
 * rename clusters when one is configured. Returns the exit code.
 */
export async function commandInsights(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      tenant: { type: "string" },
      "min-size": { type: "string" },
      "since-days": { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const options = argsSchema.parse({
    tenant: values.tenant,
    minSize: values["min-size"],
    sinceDays: values["since-days"],
    json: values.json,
  });
  const config = loadConfig(env);
  const llmConfig = llmConfigFromEnv(env);
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.VIGIL_DATA_DIR });
  try {
    const facets = await new FacetStore(db).list({ since: new Date(Date.now() - options.sinceDays * 86_400_000) });
    const report = await insights(facets, {
      viewerTenant: options.tenant,
      minClusterSize: options.minSize,
      llm: llmConfig ? new LlmClient(llmConfig) : undefined,
      embed:
        llmConfig && env.VIGIL_EMBEDDINGS_MODEL
          ? openAiEmbedder({ baseURL: llmConfig.baseURL, apiKey: llmConfig.apiKey, model: env.VIGIL_EMBEDDINGS_MODEL })
          : undefined,
    });
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInsights(report)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
