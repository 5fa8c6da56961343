import { liveEvents } from "./streams.js";
import { botPath, type CallOptions, type Transport } from "./transport.js";
import type { LogEvent } from "./types.js";

export interface FollowLogsOptions extends CallOptions {
  /** How many of the newest lines come first (default 100). */
  tail?: number;
}

/**
 * The bot's agent log followed (docs/metrics.md, "Agent logs"): the newest
 * `tail` lines, then each line as the agent writes it, across rotations,
 * each one JSON line as the agent logged it. Runs until `signal` aborts or
 * the loop breaks; a failure the server reports on the stream throws
 * BotboxApiError with its code.
 */
export async function* followAgentLogs(
  transport: Transport,
  botId: string,
  { tail, ...call }: FollowLogsOptions = {},
): AsyncGenerator<string> {
  const response = await transport.request("GET", botPath(botId, "/logs/follow"), {
    query: { source: "agent", ...(tail === undefined ? {} : { tail }) },
    ...call,
  });
  for await (const event of liveEvents<LogEvent>(response.body!)) yield event.line;
}
