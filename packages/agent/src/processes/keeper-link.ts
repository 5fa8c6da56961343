/** The agent's side of a keeper's socket: one connection per request. */
import net from "node:net";
import path from "node:path";

import { status } from "@grpc/grpc-js";

import { errorCode, RpcError } from "../rpc-error.js";
import { type Frame, frame, FrameKind, FrameSplitter, jsonFrame } from "./frames.js";
import type { KeeperRequest } from "./keeper.js";
import { KEEPER_SOCKET, type LiveState } from "./process-record.js";

/** The keeper is not there: it has finished (look for exit.json) or died. */
export class KeeperGone extends Error {
  override name = "KeeperGone";
}

interface KeeperReply {
  ok?: boolean;
  state?: LiveState;
  error?: { code: keyof typeof status; message: string };
}

export function connectKeeper(dir: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path.join(dir, KEEPER_SOCKET));
    socket.once("connect", () => {
      socket.off("error", onError);
      resolve(socket);
    });
    // No socket, nobody listening, or a keeper exiting as we connect.
    const onError = (error: Error) => reject(new KeeperGone(`keeper of ${dir} is gone (${errorCode(error)})`));
    socket.once("error", onError);
  });
}

export function replyError(reply: KeeperReply): RpcError | undefined {
  if (!reply.error) return undefined;
  return new RpcError(status[reply.error.code] ?? status.INTERNAL, reply.error.message);
}

/**
 * Sends one request and waits for its reply. With `timeoutMs`, undefined
 * comes back when no reply arrived in time (used by wait).
 */
export async function askKeeper(
  dir: string,
  request: KeeperRequest,
  options: {
    input?: Buffer;
    timeoutMs?: number;
    cancelled?: { on(event: "cancelled", listener: () => void): unknown };
  } = {},
): Promise<KeeperReply | undefined> {
  const socket = await connectKeeper(dir);
  socket.write(jsonFrame(FrameKind.Json, request));
  if (options.input) socket.write(frame(FrameKind.Input, options.input));
  return new Promise((resolve, reject) => {
    const splitter = new FrameSplitter();
    let timer: NodeJS.Timeout | undefined;
    const settle = (value: KeeperReply | undefined, error?: Error) => {
      if (timer) clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    if (options.timeoutMs !== undefined) timer = setTimeout(() => settle(undefined), options.timeoutMs);
    options.cancelled?.on("cancelled", () => settle(undefined));
    socket.on("data", (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = splitter.push(chunk);
      } catch (error) {
        return settle(undefined, error as Error);
      }
      const answer = frames.find((candidate) => candidate.kind === FrameKind.Json);
      if (answer) settle(JSON.parse(answer.payload.toString()) as KeeperReply);
    });
    // A keeper that exits between accepting and answering resets the connection.
    socket.on("error", (error) => settle(undefined, new KeeperGone(`keeper of ${dir} is gone (${errorCode(error)})`)));
    socket.on("close", () => settle(undefined, new KeeperGone(`keeper of ${dir} closed without answering`)));
  });
}

/** askKeeper for requests that must be answered: a keeper error becomes the call's status. */
export async function commandKeeper(dir: string, request: KeeperRequest, input?: Buffer): Promise<KeeperReply> {
  let reply: KeeperReply;
  try {
    reply = (await askKeeper(dir, request, { input }))!;
  } catch (error) {
    if (!(error instanceof KeeperGone)) throw error;
    throw new RpcError(status.FAILED_PRECONDITION, `process ${path.basename(dir)} is no longer running`);
  }
  const error = replyError(reply);
  if (error) throw error;
  return reply;
}
