import { constants } from "node:os";

import { BotboxApiError, type Terminal } from "@botbox/sdk";

import { type ApiTarget, CliError } from "../api-client.js";
import { usageError } from "../help.js";
import { sdkFor } from "../sdk-client.js";

// `botbox shell <bot> [-- command]`: an interactive terminal in the bot, over
// the terminal WebSocket (docs/processes.md, "Terminals").

/** Ctrl-D: what a terminal sends for end of input, sent when a piped stdin ends. */
const END_OF_INPUT = Buffer.from([0x04]);
const SIGNALS = ["SIGTERM", "SIGHUP", "SIGINT"] as const;

interface TerminalIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/**
 * On a TTY: raw mode (every key, Ctrl-C too, goes to the bot as its byte),
 * the remote size follows the local window (SIGWINCH), and the terminal is
 * restored however this ends (exit, error, a signal). Without a TTY it
 * streams stdin and stdout, and a stdin that ends sends Ctrl-D. Exits with
 * the remote process's status; a dropped connection leaves the process
 * running and prints how to re-attach (`--session`).
 */
export async function shellCommand(
  target: ApiTarget,
  args: string[],
  command: string[],
  flags: { session?: string },
  io: TerminalIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [botId, ...rest] = args;
  if (!botId || rest.length > 0) throw usageError("shell");
  if (flags.session !== undefined && command.length > 0)
    throw usageError("shell", "--session re-attaches to a running shell; it takes no command");
  const raw = io.stdin.isTTY === true;
  const size = () =>
    io.stdout.isTTY && io.stdout.columns > 0 ? { cols: io.stdout.columns, rows: io.stdout.rows } : undefined;
  const initial = size();
  const cleanups: (() => void)[] = [];
  const restore = () => {
    while (cleanups.length > 0) cleanups.pop()!();
  };
  let terminal: Terminal | undefined;
  try {
    terminal = await sdkFor(target)
      .bots.handle(botId)
      .terminal({
        ...(initial ?? {}),
        ...(flags.session === undefined ? {} : { session: flags.session }),
        ...(command.length > 0
          ? { command: command.length === 1 ? command[0]! : command.map(shellQuote).join(" ") }
          : {}),
        onData: (data) => {
          if (!io.stdout.write(data)) {
            terminal?.pause();
            io.stdout.once("drain", () => terminal?.resume());
          }
        },
        onError: (message) => io.stderr.write(`\r\nbotbox shell: ${message}\r\n`),
      });
  } catch (error) {
    if (error instanceof BotboxApiError && error.status !== 0)
      throw new CliError(`the terminal was refused: ${error.status} ${error.message}`, error.code);
    if (error instanceof BotboxApiError) throw new CliError(error.message, error.code);
    throw error;
  }
  const opened = terminal;
  try {
    if (raw) {
      io.stdin.setRawMode(true);
      cleanups.push(() => io.stdin.setRawMode(false));
    }
    const onResize = () => {
      const now = size();
      if (now && opened.open) opened.resize(now.cols, now.rows);
    };
    io.stdout.on("resize", onResize);
    cleanups.push(() => io.stdout.off("resize", onResize));
    for (const signal of SIGNALS) {
      // raw mode turns Ctrl-C into a byte; these come from outside (kill, a closed window).
      const onSignal = () => {
        restore();
        opened.terminate();
        process.exit(128 + constants.signals[signal]);
      };
      process.on(signal, onSignal);
      cleanups.push(() => process.off(signal, onSignal));
    }
    const onInput = (data: Buffer) => {
      if (!opened.open) return;
      opened.write(data);
      // A server slow to take input stops the reading of stdin, not memory.
      if (opened.bufferedAmount > 2 ** 20) {
        io.stdin.pause();
        opened.write(Buffer.alloc(0), () => io.stdin.resume());
      }
    };
    const onEnd = () => {
      if (opened.open) opened.write(END_OF_INPUT);
    };
    io.stdin.on("data", onInput);
    io.stdin.on("end", onEnd);
    io.stdin.resume();
    cleanups.push(() => {
      io.stdin.off("data", onInput);
      io.stdin.off("end", onEnd);
      io.stdin.pause();
    });

    const exitCode = await opened.wait();
    restore();
    if (exitCode !== undefined) return exitCode;
    const closed = opened.closeInfo ?? { code: 0, reason: "" };
    throw new CliError(
      `the terminal closed (${closed.code}${closed.reason ? `: ${closed.reason}` : ""}); the shell keeps running` +
        (opened.sessionId ? `: botbox shell ${botId} --session ${opened.sessionId}` : ""),
      "unavailable",
    );
  } finally {
    restore();
    opened.terminate();
  }
}

/** A word as /bin/sh reads it back unchanged. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
