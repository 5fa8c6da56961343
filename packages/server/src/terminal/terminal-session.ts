import type { RawData, WebSocket } from "ws";

import type { ProcessClient, ProcessView, TerminalSize } from "../client/index.js";
import { BadRequestError } from "../errors.js";
import {
  CLOSE_NORMAL,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_SERVER_ERROR,
  closeReason,
  exitMessage,
  LOGIN_SHELL,
  parseControlMessage,
  ProtocolError,
  sessionMessage,
} from "./protocol.js";

/** How much earlier output a re-attach replays: about a screenful or two of a busy terminal. */
export const REPLAY_BYTES = 64 * 1024;
/**
 * Output waiting in the WebSocket past this stops the reading of the
 * process's output until it was written out: a client that never reads
 * holds at most this much here, and the gRPC stream's flow control holds
 * the rest back in the agent's bounded ring.
 */
export const OUTPUT_HIGH_WATER_BYTES = 256 * 1024;
/** Input sent to the agent but not yet taken past this pauses reading the WebSocket. */
export const INPUT_HIGH_WATER_BYTES = 1024 * 1024;

/** A session the route is about to bridge: the PTY process and where its replay starts. */
export interface TerminalTarget {
  process: ProcessView;
  replayFrom: number;
}

/** Starts a new PTY process: `command` (a shell line) or the bot user's login shell. */
export async function startTerminal(
  client: ProcessClient,
  options: { size: TerminalSize; command?: string; cwd?: string },
): Promise<TerminalTarget> {
  const process = await client.start(
    { shell: options.command ?? LOGIN_SHELL },
    { pty: options.size, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) },
  );
  return { process, replayFrom: 0 };
}

/** A running (or finished) PTY process to re-attach to, replaying its last REPLAY_BYTES of output. */
export async function findTerminal(client: ProcessClient, id: string, size?: TerminalSize): Promise<TerminalTarget> {
  const process = await client.get({ id });
  if (!process.pty)
    throw new BadRequestError(
      `process ${id} has no terminal; read its output at /bots/:bot_id/processes/${id}/output instead`,
    );
  if (size && process.status === "running") await client.resize({ id }, size);
  const replayFrom = Math.max(process.droppedBytes, process.outputBytes - REPLAY_BYTES);
  return { process: size ? { ...process, pty: size } : process, replayFrom };
}

/**
 * Bridges an open WebSocket and a PTY process until the process exits (the
 * exit message, then close 1000) or the client goes (the process keeps
 * running: a later `?session=` re-attaches). Resolves when the bridge ended.
 */
export async function bridgeTerminal(client: ProcessClient, socket: WebSocket, target: TerminalTarget): Promise<void> {
  const id = target.process.id;
  const stop = new AbortController();
  socket.on("close", () => stop.abort());
  socket.on("error", () => stop.abort());
  const close = (code: number, reason: string) => {
    stop.abort();
    if (socket.readyState === socket.OPEN) socket.close(code, closeReason(reason));
  };

  // Input and resizes go to the agent one at a time, in the order they came.
  let queue: Promise<void> = Promise.resolve();
  let pendingInputBytes = 0;
  const enqueue = (bytes: number, action: () => Promise<void>) => {
    pendingInputBytes += bytes;
    if (pendingInputBytes > INPUT_HIGH_WATER_BYTES) socket.pause();
    queue = queue
      .then(action)
      .catch((error: unknown) => {
        // The process may have exited between the keystroke and now; its exit message follows.
        if (!stop.signal.aborted)
          send(socket, JSON.stringify({ type: "error", message: (error as Error).message || String(error) }));
      })
      .finally(() => {
        pendingInputBytes -= bytes;
        if (pendingInputBytes <= INPUT_HIGH_WATER_BYTES && socket.isPaused) socket.resume();
      });
  };
  socket.on("message", (data: RawData, isBinary: boolean) => {
    const bytes = toBuffer(data);
    if (isBinary) {
      if (bytes.byteLength > 0) enqueue(bytes.byteLength, () => client.sendInput({ id }, bytes));
      return;
    }
    try {
      const message = parseControlMessage(bytes.toString("utf8"));
      enqueue(0, () => client.resize({ id }, message.size));
    } catch (error) {
      if (error instanceof ProtocolError) close(CLOSE_PROTOCOL_ERROR, error.message);
      else throw error;
    }
  });

  send(socket, sessionMessage(target.process, target.replayFrom));
  try {
    for await (const event of client.attach({ id }, { offset: target.replayFrom, follow: true, signal: stop.signal })) {
      if (event.type === "output") {
        const written = new Promise<void>((resolve) => socket.send(event.data, { binary: true }, () => resolve()));
        // Wait for this frame to reach the kernel: a client that stops reading stops the stream here.
        if (socket.bufferedAmount > OUTPUT_HIGH_WATER_BYTES) await written;
      } else if (event.type === "exit") {
        await queue;
        send(socket, exitMessage(event.process));
        close(CLOSE_NORMAL, "the process exited");
        return;
      }
      // A "dropped" gap needs no message: a terminal shows what it gets.
      if (stop.signal.aborted) return;
    }
  } catch (error) {
    if (!stop.signal.aborted) close(CLOSE_SERVER_ERROR, `the bot's terminal failed: ${(error as Error).message}`);
  }
}

function send(socket: WebSocket, text: string): void {
  if (socket.readyState === socket.OPEN) socket.send(text);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
