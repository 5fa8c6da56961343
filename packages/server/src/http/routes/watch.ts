import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { watchClientFor } from "../../client/watch-client.js";
import { BOTBOX_ERROR_CODES, reachWorkspace } from "../../errors.js";
import type { BotManager } from "../../manager/index.js";
import { keepaliveQuery, streamJsonEvents, streamsEndedOnClose } from "../event-stream.js";
import { optionalPath } from "../files/path-params.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const booleanQuery = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");

const watchQuery = z
  .object({
    path: optionalPath("/data"),
    recursive: booleanQuery.default(false),
    keepalive: keepaliveQuery,
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
  const open = streamsEndedOnClose(app);
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
      open.add(abort, reply.raw);
      try {
        reply.hijack();
        await streamJsonEvents(reply.raw, first.done ? [] : [first.value], events, {
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
