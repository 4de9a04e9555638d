import PgBoss from "pg-boss";
import type { Db } from "../store/db.ts";

export const INVESTIGATE_QUEUE = "investigate";

export interface InvestigateJob {
  investigationId: string;
}

export interface QueueOptions {
  db: Db;
  /** Postgres URL; when absent pg-boss runs on the embedded store through `db`. */
  databaseUrl?: string;
  retryLimit?: number;
  pollingIntervalSeconds?: number;
  /** A job held longer than this by a dead worker is retried by another. */
  expireInSeconds?: number;
}

/**
 * Durable investigation jobs on pg-boss, on the same database as everything else. A job carries only the
 * investigation id: the alert is already persisted, so a lost or retried job never loses data.
 */
export class InvestigationQueue {
  readonly #boss: PgBoss;
  readonly #options: QueueOptions;

  constructor(options: QueueOptions) {
    this.#options = options;
    const { db } = options;
    const common = {
      schema: "vigil_jobs",
      // Investigations are short; a job held longer than this by a dead worker is retried elsewhere.
      expireInSeconds: options.expireInSeconds ?? 300,
      // Expired jobs are noticed by maintenance: run it often so a killed replica's work moves on quickly.
      maintenanceIntervalSeconds: 15,
      retentionDays: 7,
      schedule: false,
    };
    this.#boss = options.databaseUrl
      ? new PgBoss({ connectionString: options.databaseUrl, max: 5, ...common })
      : new PgBoss({ db: { executeSql: (text, values) => db.query(text, values ?? []) }, ...common });
  }

  onError(listener: (error: Error) => void): void {
    this.#boss.on("error", listener);
  }

  async start(): Promise<void> {
    await this.#boss.start();
    await this.#boss.createQueue(INVESTIGATE_QUEUE, {
      name: INVESTIGATE_QUEUE,
      // "short": at most one waiting job per investigation (the recovery sweep cannot pile up duplicates), while a
      // new job may run when a dead worker's job is still marked active. The store's claim() makes the run
      // exactly-once; pg-boss only has to deliver at least once.
      policy: "short",
      retryLimit: this.#options.retryLimit ?? 2,
      retryDelay: 5,
      retryBackoff: true,
    });
  }

  /** Enqueue an investigation; a second send for one still waiting is dropped by the singleton key. */
  async enqueue(investigationId: string): Promise<string | null> {
    return this.#boss.send(INVESTIGATE_QUEUE, { investigationId } satisfies InvestigateJob, {
      singletonKey: investigationId,
    });
  }

  /** Enqueue again to start after `seconds` (the current job is finishing, so the singleton key is free). */
  async enqueueLater(investigationId: string, seconds: number): Promise<string | null> {
    return this.#boss.send(INVESTIGATE_QUEUE, { investigationId } satisfies InvestigateJob, {
      singletonKey: investigationId,
      startAfter: seconds,
    });
  }

  async work(concurrency: number, handler: (job: InvestigateJob) => Promise<void>): Promise<void> {
    const pollingIntervalSeconds = this.#options.pollingIntervalSeconds ?? 0.5;
    for (let i = 0; i < concurrency; i++) {
      await this.#boss.work<InvestigateJob>(
        INVESTIGATE_QUEUE,
        { batchSize: 1, pollingIntervalSeconds },
        async (jobs) => {
          for (const job of jobs) await handler(job.data);
        },
      );
    }
  }

  async depth(): Promise<number> {
    return this.#boss.getQueueSize(INVESTIGATE_QUEUE);
  }

  /** Stop taking work; wait for running jobs up to `timeoutMs`, then hand them back. */
  async stop(timeoutMs = 10_000): Promise<void> {
    await this.#boss.stop({ graceful: true, timeout: timeoutMs, wait: true, close: true });
  }
}
