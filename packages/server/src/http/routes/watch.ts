import type { ServerResponse } from "node:http";

import type { FastifyInstance } from "fastify";
import { z } from "zod";

import type { WatchEventView } from "../../client/watch-client.js";
import { watchClientFor } from "../../client/watch-client.js";
import { BOTBOX_ERROR_CODES, reachWorkspace, UnavailableError } from "../../errors.js";
import type { BotManager } from "../../manager/index.js";
import { errorResponse } from "../error-status.js";
import { openEventStream } from "../event-stream.js";
import { optionalPath } from "../files/path-params.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const booleanQuery = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");

const watchQuery = z
  .object({
    path: optionalPath("/data"),
    recursive: booleanQuery.default(false),
    // An idle stream still writes now and then, so proxies and clients with
    // read timeouts keep it open and a vanished client is noticed.
    keepalive: z.coerce
      .number()
      .min(1, "must be from 1 to 300 seconds")
      .max(300, "must be from 1 to 300 seconds")
      .default(15),
  })
  .strict();

const entryKind = z.enum(["file", "directory", "symlink", "other"]);

/** One event of the watch stream (docs/watch.md lists what each means). */
export const watchEventSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("ready"), root: z.string(), folders: z.number() }),
    z.object({ type: z.enum(["created", "modified", "deleted"]), path: z.string(), kind: entryKind, time: z.string() }),
    z.object({ type: z.literal("renamed"), path: z.string(), from: z.string(), kind: entryKind, time: z.string() }),
    z.object({ type: z.literal("dropped"), count: z.number() }),
    z.object({ type: z.literal("notice"), path: z.string().optional(), message: z.string() }),
    z.object({ type: z.literal("keepalive") }),
    z.object({ type: z.literal("error"), code: z.enum(BOTBOX_ERROR_CODES), message: z.string() }),
  ])
  .meta({ id: "WatchEvent" });

/**
 * File watch over HTTP (docs/watch.md): the agent's FileWatchService as
 * NDJSON, or SSE for Accept: text/event-stream. The agent is asked first, so
 * a bad or refused path answers 4xx before any 200.
 */
export function watchRoutes(app: FastifyInstance, routes: AnyRoute[], manager: Pick<BotManager, "agentFor">): void {
  const open = new Set<AbortController>();
  app.addHook("preClose", async () => {
    for (const watch of open) watch.abort(new UnavailableError("the server is stopping"));
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/container/fs/watch",
    summary:
      "Stream file changes under a folder (recursive=true for its tree): NDJSON, or SSE for Accept: text/event-stream",
    params: botParams,
    query: watchQuery,
    response: {
      kind: "ndjson-or-sse",
      description:
        "file changes as they happen, one JSON event a line (or an SSE event); docs/watch.md lists the events",
      items: watchEventSchema,
    },
    handler: async ({ params, query }, request, reply) => {
      const agent = await reachWorkspace(params.bot_id, (botId) => manager.agentFor(botId));
      const abort = new AbortController();
      const events = watchClientFor(agent).watch(query.path, { recursive: query.recursive, signal: abort.signal });
      const first = await events.next();
      const sse = (request.headers.accept ?? "").includes("text/event-stream");
      open.add(abort);
      try {
        reply.hijack();
        await streamEvents(reply.raw, first.done ? [] : [first.value], events, {
          sse,
          abort,
          keepaliveMs: query.keepalive * 1000,
        });
      } finally {
        open.delete(abort);
        abort.abort();
      }
    },
  });
}

async function streamEvents(
  socket: ServerResponse,
  head: WatchEventView[],
  events: AsyncGenerator<WatchEventView, void, undefined>,
  options: { sse: boolean; abort: AbortController; keepaliveMs: number },
): Promise<void> {
  const stream = openEventStream(socket, options);
  const write = (event: WatchEventView | Record<string, unknown>) => stream.write(String(event.type), event);
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
