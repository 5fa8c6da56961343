import { once } from "node:events";

import type { ProcessInfo } from "@botbox/sdk";

import { type ApiTarget, CliError } from "../api-client.js";
import { usageError } from "../help.js";
import { api, cliErrorOf, sdkFor } from "../sdk-client.js";
import { output, table } from "./output.js";

// `botbox run|ps|logs|kill`: the bot's durable processes (docs/processes.md,
// "CLI"), over the HTTP routes under /bots/:bot_id/processes.

/**
 * `botbox run <bot> [--background] [--tag T] [--cwd D] -- <command...>`. One
 * word is a shell command line, several are the program and its arguments.
 * In the background it prints the id; else it follows the output and exits
 * with the process's status (the process keeps running if botbox is stopped).
 */
export async function runCommand(
  target: ApiTarget,
  args: string[],
  command: string[],
  flags: { background: boolean; tag?: string; cwd?: string; json: boolean },
): Promise<number> {
  const [botId, ...rest] = args;
  if (!botId || rest.length > 0 || command.length === 0) throw usageError("run");
  const started = await api(
    "run",
    sdkFor(target)
      .bots.handle(botId)
      .processes.start({
        command: command.length === 1 ? command[0]! : command,
        ...(flags.tag === undefined ? {} : { tag: flags.tag }),
        ...(flags.cwd === undefined ? {} : { cwd: flags.cwd }),
      }),
  );
  if (flags.background) {
    output(started, flags.json, () => started.id);
    return 0;
  }
  return (await copyOutput(target, botId, started.id, 0, true)) ?? 1;
}

/** `botbox ps <bot>`: the bot's processes as a table. */
export async function psCommand(target: ApiTarget, args: string[], json: boolean): Promise<number> {
  const [botId, ...rest] = args;
  if (!botId || rest.length > 0) throw usageError("ps");
  const processes: ProcessInfo[] = await api("ps", sdkFor(target).bots.handle(botId).processes.list());
  output(processes, json, () =>
    table([
      ["ID", "TAG", "STATUS", "EXIT", "STARTED", "COMMAND"],
      ...processes.map((p) => [
        p.id,
        p.tag || "-",
        p.status,
        p.exit_code === undefined ? "-" : `${p.exit_code}${p.signal ? ` (${p.signal})` : ""}`,
        p.started_at,
        typeof p.command === "string" ? p.command : p.command.join(" "),
      ]),
    ]),
  );
  return 0;
}

/**
 * `botbox logs <bot> <id|tag> [-f] [--since N]`: the output's bytes exactly
 * as the process wrote them (stderr's to stderr). With -f it follows until
 * the process exits and exits with its status.
 */
export async function logsCommand(
  target: ApiTarget,
  args: string[],
  flags: { follow: boolean; since?: string },
): Promise<number> {
  const [botId, process, ...rest] = args;
  if (!botId || !process || rest.length > 0) throw usageError("logs");
  const since = flags.since === undefined ? 0 : Number(flags.since);
  if (!Number.isSafeInteger(since) || since < 0)
    throw usageError("logs", `--since must be a byte offset, 0 or more, not ${flags.since}`);
  const status = await copyOutput(target, botId, process, since, flags.follow);
  return flags.follow ? (status ?? 1) : 0;
}

/** `botbox kill <bot> <id|tag> [--signal S]`: a signal (default TERM) to the process's group. */
export async function killCommand(
  target: ApiTarget,
  args: string[],
  flags: { signal?: string; json: boolean },
): Promise<number> {
  const [botId, process, ...rest] = args;
  if (!botId || !process || rest.length > 0) throw usageError("kill");
  const signal = flags.signal ?? "TERM";
  const answer = await api("kill", sdkFor(target).bots.handle(botId).processes.signal(process, signal));
  output(answer, flags.json, () => `sent ${signal} to ${answer.id}`);
  return 0;
}

/**
 * Copies the output (base64 events, so bytes pass exactly) to stdout and
 * stderr as it comes, writing each before reading the next: a slow terminal
 * slows the stream instead of filling memory. Answers the exit status when
 * the stream ended with the process's exit.
 */
async function copyOutput(
  target: ApiTarget,
  botId: string,
  process: string,
  since: number,
  follow: boolean,
): Promise<number | undefined> {
  const events = sdkFor(target).bots.handle(botId).processes.attach(process, { since, follow, encoding: "base64" });
  let status: number | undefined;
  try {
    for await (const event of events) {
      if (event.type === "output") {
        const sink = event.stream === "stderr" ? globalThis.process.stderr : globalThis.process.stdout;
        if (!sink.write(Buffer.from(event.data, "base64"))) await once(sink, "drain");
      } else if (event.type === "dropped") {
        globalThis.process.stderr.write(
          `botbox: output bytes ${event.from} to ${event.to} were dropped (the process's output cap)\n`,
        );
      } else if (event.type === "exit") {
        status = event.process.exit_code ?? 1;
      } else if (event.type === "error") {
        throw new CliError(`logs: ${event.message}`, event.code);
      }
    }
  } catch (error) {
    throw cliErrorOf("logs", error);
  }
  return status;
}
