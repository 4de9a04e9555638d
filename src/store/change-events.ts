import type { ChangeEvent, ChangesSource, TimeRange, ToolResult } from "../../tools/interfaces.ts";
import type { Db } from "./db.ts";

/** Change events posted by CI/CD, persisted so every replica and every later investigation sees them. */
export class ChangeEventStore implements ChangesSource {
  readonly backend = "webhook";
  constructor(private readonly db: Db) {}

  async add(changes: ChangeEvent[]): Promise<void> {
    for (const change of changes) {
      await this.db.query("INSERT INTO vigil.change_events (t, service, change) VALUES ($1, $2, $3)", [
        new Date(change.t).toISOString(),
        change.service ?? null,
        JSON.stringify(change),
      ]);
    }
  }

  async listChanges(range: TimeRange): Promise<ToolResult<ChangeEvent[]>> {
    try {
      const { rows } = await this.db.query<{ change: ChangeEvent | string }>(
        "SELECT change FROM vigil.change_events WHERE t >= $1 AND t <= $2 ORDER BY t LIMIT 2000",
        [new Date(range.from).toISOString(), new Date(range.to).toISOString()],
      );
      const data = rows.map((r) => (typeof r.change === "string" ? (JSON.parse(r.change) as ChangeEvent) : r.change));
      return { ok: true, data, truncated: data.length >= 2000 };
    } catch (error) {
      return { ok: false, error: { backend: "webhook", kind: "unavailable", message: (error as Error).message } };
    }
  }
}
