import type { ApiTarget } from "../api-client.js";
import { usageError } from "../help.js";
import { api, sdkFor } from "../sdk-client.js";
import { logsCommand as processLogsCommand } from "./processes.js";

// `botbox logs`: a durable process's output (commands/processes.ts), or with
// --agent the bot's agent log (GET /bots/:bot_id/logs, docs/metrics.md).

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/** One agent line, short: time, level, message, then the call's method, path, duration and code. */
export function formatAgentLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line; // Not the agent's JSON (written by something else): shown as it is.
  }
  const time = typeof entry.time === "number" ? new Date(entry.time).toISOString().slice(11, 23) : "";
  const level = LEVELS[entry.level as number] ?? String(entry.level ?? "");
  const words = [time, level.padEnd(5), String(entry.msg ?? "")];
  if (typeof entry.method === "string") words.push(entry.method);
  if (typeof entry.path === "string") words.push(entry.path);
  if (typeof entry.durationMs === "number") words.push(`${entry.durationMs}ms`);
  if (typeof entry.code === "string") words.push(entry.code);
  const err = entry.err as { message?: unknown } | undefined;
  if (err && typeof err.message === "string") words.push(`- ${err.message}`);
  return words.filter((word) => word !== "").join(" ");
}

export interface LogsFlags {
  agent: boolean;
  follow: boolean;
  since?: string;
  tail?: string;
  json: boolean;
}

/**
 * `botbox logs <bot> --agent [--tail N] [-f]`: the newest N (default 100)
 * lines of the bot's agent log, one call a line, and with -f each new one
 * until Ctrl-C; --json prints them as the agent wrote them. Without --agent,
 * a process's output.
 */
export async function logsCommand(target: ApiTarget, args: string[], flags: LogsFlags): Promise<number> {
  if (!flags.agent) {
    if (flags.tail !== undefined)
      throw usageError("logs", "--tail goes with --agent (a process's output takes --since)");
    return processLogsCommand(target, args, flags);
  }
  const [botId, ...rest] = args;
  if (!botId || rest.length > 0) throw usageError("logs");
  if (flags.since !== undefined)
    throw usageError("logs", "--since is for a process's output, not --agent (use --tail)");
  const tail = flags.tail === undefined ? 100 : Number(flags.tail);
  if (!Number.isSafeInteger(tail) || tail < 1 || tail > 10_000)
    throw usageError("logs", `--tail must be a whole number from 1 to 10000, not ${flags.tail}`);
  const format = flags.json ? (line: string) => line : formatAgentLine;
  const bot = sdkFor(target).bots.handle(botId);
  if (flags.follow) {
    // Until Ctrl-C (the process ends) or the server ends the stream.
    const printAll = async () => {
      for await (const line of bot.followAgentLogs({ tail })) process.stdout.write(`${format(line)}\n`);
    };
    await api("logs", printAll());
    return 0;
  }
  const answer = await api("logs", bot.agentLogs({ tail }));
  const text = answer.lines.map(format).join("\n");
  if (text) process.stdout.write(`${text}\n`);
  return 0;
}
