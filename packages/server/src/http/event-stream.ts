import type { ServerResponse } from "node:http";

import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { UnavailableError } from "../errors.js";
import { errorResponse } from "./error-status.js";

/** A streamed answer of JSON events: NDJSON, or SSE when the client asked for `text/event-stream`. */
export interface EventStream {
  /**
   * Writes one event and waits until the client has taken it (or is gone):
   * a client that stops reading stops the producer, so the server holds one
   * socket buffer, not the stream.
   */
  write(type: string, json: unknown, id?: number | string): Promise<void>;
}

/** Starts the answer (200, no caching, no proxy buffering); a client that goes away aborts `abort`. */
export function openEventStream(
  socket: ServerResponse,
  options: { sse: boolean; abort: AbortController },
): EventStream {
  socket.writeHead(200, {
    "content-type": options.sse ? "text/event-stream; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    "cache-control": "no-store",
    // Proxies (nginx) must pass each event on as it comes.
    "x-accel-buffering": "no",
  });
  socket.on("close", () => options.abort.abort());
  return {
    async write(type, json, id) {
      const text = options.sse
        ? `${id === undefined ? "" : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(json)}\n\n`
        : `${JSON.stringify(json)}\n`;
      if (!socket.write(text)) await drainedOrClosed(socket);
    },
  };
}

/** Resolves when the socket can take more, or is gone; leaves no listener behind (one wait per write). */
function drainedOrClosed(socket: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}

/**
 * `keepalive` of the long-lived streams (watch, log follow): seconds between
 * keep-alive events while idle, so proxies and clients with read timeouts
 * keep the stream open and a vanished client is noticed.
 */
export const keepaliveQuery = z.coerce
  .number()
  .min(1, "must be from 1 to 300 seconds")
  .max(300, "must be from 1 to 300 seconds")
  .default(15);

/** The long-lived streams open on a server (watch, log follow, process output). */
export interface OpenStreams {
  /** From now until `delete`: the stream is aborted when the server closes. */
  add(abort: AbortController, response: ServerResponse): void;
  delete(abort: AbortController): void;
}

/**
 * Streams ended when the server closes: its close waits for them, and they
 * last until their clients go, so each is aborted with "the server is
 * stopping" (its last event says so). Its connection is ended once the
 * answer is done: the close ends only the connections idle when it begins,
 * and one whose stream ends just after would otherwise be kept open as a
 * keep-alive (Fastify's keepAliveTimeout, 72 s), and the close with it.
 */
export function streamsEndedOnClose(app: FastifyInstance): OpenStreams {
  const open = new Map<AbortController, ServerResponse>();
  app.addHook("preClose", async () => {
    for (const [abort, response] of open) {
      // Taken now: Node detaches the socket from the answer as it finishes.
      const connection = response.socket;
      response.once("finish", () => connection?.end());
      abort.abort(new UnavailableError("the server is stopping"));
    }
  });
  return {
    add: (abort, response) => void open.set(abort, response),
    delete: (abort) => void open.delete(abort),
  };
}

/**
 * Writes `head`, then `events` as they come, with a `keepalive` event when
 * nothing waits to be sent; a failure, or the abort's reason when the server
 * ended it, is the last event (`error`, with the code and message an HTTP
 * answer would have). Ends the answer.
 */
export async function streamJsonEvents<Event extends { type: string }>(
  socket: ServerResponse,
  head: Event[],
  events: AsyncIterable<Event>,
  options: { sse: boolean; abort: AbortController; keepaliveMs: number },
): Promise<void> {
  const stream = openEventStream(socket, options);
  const write = (event: { type: string; [field: string]: unknown }) => stream.write(event.type, event);
  const keepalive = setInterval(() => {
    // Only when nothing waits to be sent: a keep-alive never grows a backlog.
    if (socket.writableLength === 0) socket.write(options.sse ? ": keepalive\n\n" : `{"type":"keepalive"}\n`);
  }, options.keepaliveMs);
  try {
    for (const event of head) await write(event);
    for await (const event of events) {
      if (socket.destroyed) break;
      await write(event);
    }
    if (options.abort.signal.aborted) throw options.abort.signal.reason;
  } catch (error) {
    if (!socket.destroyed) {
      const reason: unknown = options.abort.signal.aborted ? options.abort.signal.reason : error;
      const { code, message } = errorResponse(reason).body.error;
      await write({ type: "error", code, message });
    }
  } finally {
    clearInterval(keepalive);
  }
  socket.end();
}
