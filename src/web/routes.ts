import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { InvestigationQueue } from "../queue/queue.ts";
import type { HttpServer } from "../server/http-server.ts";
import type { Db } from "../store/db.ts";
import type { InvestigationStore } from "../store/investigations.ts";

export interface WebUiDeps {
  server: HttpServer;
  db: Db;
  store: InvestigationStore;
  queue: InvestigationQueue;
  config: Config;
  logger: Logger;
}

/** Mount the web UI and the JSON API on the daemon's server. (Filled in by the web UI work.) */
export function registerWebUi(_deps: WebUiDeps): void {}
