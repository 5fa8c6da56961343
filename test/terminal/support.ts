// A terminal WebSocket client for the tests: collects the output, the
// control messages and the close, and waits on them by deadline.
import assert from "node:assert/strict";

import WebSocket from "ws";

import type { BotboxServer } from "../support/botbox-server.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read message fields freely
export type ControlMessage = Record<string, any>;

export interface TerminalConnection {
  readonly socket: WebSocket;
  /** Every output byte so far, as text. */
  output(): string;
  readonly controls: ControlMessage[];
  /** The `session` message, the first thing the server sends. */
  readonly session: Promise<ControlMessage>;
  /** The close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves once the output (from `from`) matches `pattern`; fails after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  type(text: string): void;
  resize(cols: number, rows: number): void;
}

export function terminalUrl(server: BotboxServer, botId: string, query: Record<string, string> = {}): string {
  return `${server.url.replace(/^http/, "ws")}/bots/${botId}/terminal?${new URLSearchParams(query)}`;
}

/** Opens a terminal with the admin token (or `token`, or none when null); fails if the server refuses. */
export async function openTerminal(
  server: BotboxServer,
  botId: string,
  query: Record<string, string> = {},
  token: string | null = server.adminToken,
): Promise<TerminalConnection> {
  const socket = new WebSocket(terminalUrl(server, botId, query), {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  const chunks: Buffer[] = [];
  const controls: ControlMessage[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((waiter) => waiter());
  let sessionSeen: (message: ControlMessage) => void;
  const session = new Promise<ControlMessage>((resolve) => (sessionSeen = resolve));
  socket.on("message", (data: Buffer, isBinary: boolean) => {
    if (isBinary) chunks.push(data);
    else {
      const message = JSON.parse(data.toString("utf8")) as ControlMessage;
      controls.push(message);
      if (message.type === "session") sessionSeen(message);
    }
    notify();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on("close", (code, reason) => {
      resolve({ code, reason: reason.toString("utf8") });
      notify();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`terminal refused: ${response.statusCode}`)),
    );
    socket.once("error", reject);
  });
  const output = () => Buffer.concat(chunks).toString("utf8");
  return {
    socket,
    output,
    controls,
    session,
    closed,
    waitForOutput(pattern, timeoutMs = 15_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const text = output().slice(from);
          if (pattern.test(text)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(text);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`no ${pattern} in the terminal's output within ${timeoutMs} ms; got ${JSON.stringify(output())}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    type(text) {
      socket.send(Buffer.from(text), { binary: true });
    },
    resize(cols, rows) {
      socket.send(JSON.stringify({ type: "resize", cols, rows }));
    },
  };
}

/** The HTTP status and error message a refused terminal upgrade got. */
export async function refusedTerminal(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; message: string }> {
  const socket = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    socket.once("open", () => {
      socket.terminate();
      reject(new Error(`the terminal at ${url} opened; it should have been refused`));
    });
    socket.once("unexpected-response", (_request, response) => {
      const parts: Buffer[] = [];
      response.on("data", (part: Buffer) => parts.push(part));
      response.on("end", () => {
        const body = Buffer.concat(parts).toString("utf8");
        let message = body;
        try {
          message = (JSON.parse(body) as { error: { message: string } }).error.message;
        } catch {
          // Kept as it came.
        }
        resolve({ status: response.statusCode ?? 0, message });
      });
    });
    socket.once("error", (error) => reject(error));
  });
}

/** The bot's processes' ids: to show a refused attempt started none. */
export async function processIds(server: BotboxServer, botId: string): Promise<string[]> {
  const listed = await server.api("GET", `/bots/${botId}/processes`);
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  return (listed.body.processes as { id: string }[]).map((p) => p.id).sort();
}
