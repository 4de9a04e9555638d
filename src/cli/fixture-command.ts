import { parseArgs } from "node:util";
import { Anonymizer } from "../../knowledge/anonymizer.ts";
import type { Config } from "../config.ts";
import { exportFixture, type Recording } from "../fixture-export.ts";
import { openDb } from "../store/db.ts";
import { InvestigationStore } from "../store/investigations.ts";
import { migrate } from "../store/migrate.ts";

export class FixtureCommandError extends Error {
  override name = "FixtureCommandError";
}

export const FIXTURE_USAGE = `Usage: vigil fixture export INVESTIGATION_ID OUTDIR [--anonymize]
  Writes an incident fixture (shared/fixtures/FORMAT.md) from the tool results the investigation recorded, so a
  production investigation becomes a replayable test: \`vigil investigate --fixture OUTDIR\` reproduces its ranking.
  --anonymize  replace service, pod, namespace, node and host names (and identifiers in log lines) with keyed,
               stable pseudonyms; needs VIGIL_ANONYMIZER_KEY`;

/** `vigil fixture export ID OUTDIR [--anonymize]`; returns what it wrote. */
export async function runFixtureCommand(args: string[], config: Config): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { anonymize: { type: "boolean", default: false } },
    strict: true,
  });
  const [sub, id, outDir] = positionals;
  if (sub !== "export" || !id || !outDir) throw new FixtureCommandError(FIXTURE_USAGE);
  if (values.anonymize && !config.VIGIL_ANONYMIZER_KEY) {
    throw new FixtureCommandError("--anonymize needs VIGIL_ANONYMIZER_KEY (a per-install secret)");
  }
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.VIGIL_DATA_DIR });
  try {
    await migrate(db);
    const store = new InvestigationStore(db);
    const record = await store.get(id);
    if (!record) throw new FixtureCommandError(`no investigation ${id}`);
    const recording = (await store.getRecording(id)) as Recording | undefined;
    if (!recording) throw new FixtureCommandError(`investigation ${id} has no recorded tool results (still running?)`);
    const anonymizer = values.anonymize ? new Anonymizer({ key: config.VIGIL_ANONYMIZER_KEY as string }) : undefined;
    const { files } = exportFixture(
      {
        investigationId: id,
        alert: record.alert,
        recording,
        stepMs: config.VIGIL_STEP_SECONDS * 1000,
        transform: anonymizer ? <T>(value: T) => anonymizer.fields(value) : undefined,
      },
      outDir,
    );
    return `wrote ${files.length} files to ${outDir}: ${files.join(", ")}`;
  } finally {
    await db.close();
  }
}
