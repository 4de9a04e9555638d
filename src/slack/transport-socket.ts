/**
 * The Socket Mode transport: Vigil opens a websocket to Slack (no public URL, no signing secret needed), which
 * suits clusters without ingress. Bolt's SocketModeReceiver does the work; this only wires Vigil's logger in.
 *
 * @example
 * const app = new App({ token: botToken, receiver: createSocketReceiver({ appToken, logger }) });
 */
import { SocketModeReceiver } from "@slack/bolt";
import type { Logger } from "pino";
import { boltLoggerFrom } from "./bolt-logger.ts";

export interface SocketReceiverOptions {
  appToken: string; // xapp-… with connections:write
  logger: Logger;
}

export function createSocketReceiver(options: SocketReceiverOptions): SocketModeReceiver {
  return new SocketModeReceiver({ appToken: options.appToken, logger: boltLoggerFrom(options.logger) });
}
