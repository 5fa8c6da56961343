import WebSocket from "ws";

import { apiErrorFromBody, BotboxApiError } from "./errors.js";
import { botPath, type Transport } from "./transport.js";

export interface TerminalOptions {
  cols?: number;
  rows?: number;
  /** A shell command line to run instead of the login shell. */
  command?: string;
  cwd?: string;
  /** Attach again to a terminal still running (its `sessionId`). */
  session?: string;
  /** A failure the server reports on the open terminal (an error control message). */
  onError?: (message: string) => void;
}

/** How the socket closed: its WebSocket close code and reason. */
export interface TerminalClose {
  code: number;
  reason: string;
}

/** A control message the server sends as a text frame (docs/processes.md, Terminals). */
interface ControlMessage {
  type: string;
  id?: string;
  exitCode?: number | null;
  message?: string;
}

/**
 * `bot.terminal()`: a PTY in the bot over its terminal WebSocket. Binary
 * frames carry the terminal's bytes both ways; text frames carry JSON
 * control messages (resize one way; session, exit and error the other). The
 * shell outlives the socket: `sessionId` attaches to it again.
 */
export class Terminal {
  sessionId: string | undefined;
  /** The shell's exit code, once it exited. */
  exitCode: number | undefined;
  /** Once closed: the socket's close code and reason. */
  closeInfo: TerminalClose | undefined;
  private readonly closed: Promise<number | undefined>;

  private constructor(
    private readonly socket: WebSocket,
    onData: (data: Uint8Array) => void,
    onError?: (message: string) => void,
  ) {
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) return onData(data);
      const message = JSON.parse(data.toString("utf8")) as ControlMessage;
      if (message.type === "session") this.sessionId = message.id;
      else if (message.type === "exit") this.exitCode = message.exitCode ?? 1;
      else if (message.type === "error") onError?.(message.message ?? "");
    });
    this.closed = new Promise((resolve) =>
      socket.once("close", (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString("utf8") };
        resolve(this.exitCode);
      }),
    );
  }

  /** Opens the terminal; BotboxApiError when the server refuses it (the bot is unknown, stopped, the token wrong). */
  static async open(
    transport: Transport,
    botId: string,
    options: TerminalOptions & { onData: (data: Uint8Array) => void },
  ): Promise<Terminal> {
    const query = new URLSearchParams();
    for (const key of ["cols", "rows", "command", "cwd", "session"] as const)
      if (options[key] !== undefined) query.set(key, String(options[key]));
    const url = `${transport.url.replace(/^http/, "ws")}${botPath(botId, "/terminal")}?${query}`;
    const socket = new WebSocket(url, {
      headers: { authorization: `Bearer ${transport.token}` },
      perMessageDeflate: false,
    });
    // Listening before the upgrade's answer: the session message may come with it.
    const terminal = new Terminal(socket, options.onData, options.onError);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("unexpected-response", (_request, response) => {
          const parts: Buffer[] = [];
          response.on("data", (part: Buffer) => parts.push(part));
          response.on("end", () => {
            const text = Buffer.concat(parts).toString("utf8");
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // Not JSON: the text is the message.
            }
            reject(apiErrorFromBody(response.statusCode ?? 0, body));
          });
        });
        socket.once("error", (error) =>
          reject(
            new BotboxApiError(0, "unavailable", `cannot open the terminal at ${transport.url}: ${error.message}`),
          ),
        );
        socket.once("open", () => resolve());
      });
    } catch (error) {
      socket.terminate();
      throw error;
    }
    return terminal;
  }

  /** Sends keystrokes (text as UTF-8, or bytes); `sent` runs once they are handed to the socket. */
  write(data: string | Uint8Array, sent?: () => void): void {
    this.socket.send(typeof data === "string" ? Buffer.from(data, "utf8") : data, { binary: true }, sent);
  }

  /** True while input can be sent (open, not yet closing). */
  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Input bytes queued and not yet sent: a writer slows down past its own bound. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /** Stops (and `resume` restarts) the reading of output, for a slow consumer of `onData`. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Drops the connection at once (no close handshake); the shell keeps running. */
  terminate(): void {
    this.socket.terminate();
  }

  resize(cols: number, rows: number): void {
    this.socket.send(JSON.stringify({ type: "resize", cols, rows }));
  }

  /** Waits until the socket closes; answers the shell's exit code, or undefined when it closed with the shell running. */
  wait(): Promise<number | undefined> {
    return this.closed;
  }

  /** Closes the socket; the shell keeps running until it exits (attach again with `session`). */
  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await this.closed;
  }
}
