/**
 * The server's own log: on a terminal, short coloured lines a person reads
 * (`12:01:02.345 INFO: botbox ready {"url": …}`); anywhere else (a service
 * manager, a pipe, a file) one JSON object a line, which log shippers parse.
 * `[log] format` (env BOTBOX_LOG_FORMAT) overrides the guess.
 *
 * pino-pretty runs as a synchronous stream in this process, not as pino's
 * worker-thread transport: the server is one esbuild bundle, and a transport
 * loads its target from node_modules by name in a worker, which the bundle
 * does not carry. A terminal is slow next to a pipe anyway; the JSON path,
 * where volume matters, stays pino's asynchronous default.
 */
import { type DestinationStream, type Logger, pino } from "pino";

export const LOG_FORMATS = ["auto", "pretty", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const BASE = { base: { service: "botbox" } };

/** Pretty when asked, or for `auto` when stdout is a terminal. */
export function usesPrettyLog(format: LogFormat, stdout: { isTTY?: boolean } = process.stdout): boolean {
  return format === "pretty" || (format === "auto" && stdout.isTTY === true);
}

export async function serverLogger(format: LogFormat, stdout: NodeJS.WriteStream = process.stdout): Promise<Logger> {
  if (!usesPrettyLog(format, stdout)) return pino(BASE);
  // Loaded only here: a server logging JSON does not pay for it at start.
  const { default: pretty } = await import("pino-pretty");
  const stream: DestinationStream = pretty({
    sync: true,
    colorize: stdout.isTTY === true,
    translateTime: "HH:MM:ss.l",
    ignore: "pid,hostname,service",
    singleLine: true,
  });
  return pino(BASE, stream);
}
