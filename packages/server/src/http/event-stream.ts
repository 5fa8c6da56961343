import type { ServerResponse } from "node:http";

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
