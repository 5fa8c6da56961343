import { constants } from "node:os";

import WebSocket from "ws";

import { type ApiTarget, botRoute, CliError } from "../api-client.js";
import { usageError } from "../help.js";

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
  const query = new URLSearchParams();
  const initial = size();
  if (initial) {
    query.set("cols", String(initial.cols));
    query.set("rows", String(initial.rows));
  }
  if (flags.session !== undefined) query.set("session", flags.session);
  if (command.length > 0) query.set("command", command.length === 1 ? command[0]! : command.map(shellQuote).join(" "));
  const url = `${target.url.replace(/^http/, "ws")}${botRoute(botId, "/terminal")}?${query}`;
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${target.token}` }, perMessageDeflate: false });

  let sessionId: string | undefined;
  let exitCode: number | undefined;
  const cleanups: (() => void)[] = [];
  const restore = () => {
    while (cleanups.length > 0) cleanups.pop()!();
  };

  // Listening from the start: the session message may come with the upgrade's answer.
  const closing = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (!io.stdout.write(data)) {
          socket.pause();
          io.stdout.once("drain", () => socket.resume());
        }
        return;
      }
      const message = JSON.parse(data.toString("utf8")) as {
        type: string;
        id?: string;
        exitCode?: number | null;
        message?: string;
      };
      if (message.type === "session") sessionId = message.id;
      else if (message.type === "exit") exitCode = message.exitCode ?? 1;
      else if (message.type === "error") io.stderr.write(`\r\nbotbox shell: ${message.message}\r\n`);
    });
    socket.on("close", (code, reason) => resolve({ code, reason: reason.toString("utf8") }));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("unexpected-response", (_request, response) => {
        const parts: Buffer[] = [];
        response.on("data", (part: Buffer) => parts.push(part));
        response.on("end", () => reject(refusal(response.statusCode ?? 0, Buffer.concat(parts).toString("utf8"))));
      });
      socket.once("error", (error) =>
        reject(new CliError(`cannot open the terminal at ${target.url}: ${error.message}`, "unavailable")),
      );
      socket.once("open", () => resolve());
    });

    if (raw) {
      io.stdin.setRawMode(true);
      cleanups.push(() => io.stdin.setRawMode(false));
    }
    const onResize = () => {
      const now = size();
      if (now && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "resize", ...now }));
    };
    io.stdout.on("resize", onResize);
    cleanups.push(() => io.stdout.off("resize", onResize));
    for (const signal of SIGNALS) {
      // raw mode turns Ctrl-C into a byte; these come from outside (kill, a closed window).
      const onSignal = () => {
        restore();
        socket.terminate();
        process.exit(128 + constants.signals[signal]);
      };
      process.on(signal, onSignal);
      cleanups.push(() => process.off(signal, onSignal));
    }
    const onInput = (data: Buffer) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(data, { binary: true });
      // A server slow to take input stops the reading of stdin, not memory.
      if (socket.bufferedAmount > 2 ** 20) {
        io.stdin.pause();
        socket.send(Buffer.alloc(0), { binary: true }, () => io.stdin.resume());
      }
    };
    const onEnd = () => {
      if (socket.readyState === WebSocket.OPEN) socket.send(END_OF_INPUT, { binary: true });
    };
    io.stdin.on("data", onInput);
    io.stdin.on("end", onEnd);
    io.stdin.resume();
    cleanups.push(() => {
      io.stdin.off("data", onInput);
      io.stdin.off("end", onEnd);
      io.stdin.pause();
    });

    const closed = await closing;
    restore();
    if (exitCode !== undefined) return exitCode;
    throw new CliError(
      `the terminal closed (${closed.code}${closed.reason ? `: ${closed.reason}` : ""}); the shell keeps running` +
        (sessionId ? `: botbox shell ${botId} --session ${sessionId}` : ""),
      "unavailable",
    );
  } finally {
    restore();
    socket.terminate();
  }
}

function refusal(status: number, body: string): CliError {
  let message = body;
  try {
    message = (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? body;
  } catch {
    // Not the API's JSON: show it as it came.
  }
  const code =
    status === 404 ? "not_found" : status === 401 ? "unauthenticated" : status >= 500 ? "internal" : "bad_request";
  return new CliError(`the terminal was refused: ${status} ${message}`, code);
}

/** A word as /bin/sh reads it back unchanged. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
