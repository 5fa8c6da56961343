import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { BOTBOX_ERROR_CODES, UnavailableError } from "../../errors.js";
import { type AgentLogs, MAX_TAIL_LINES } from "../../logs/index.js";
import { errorResponse } from "../error-status.js";
import { openEventStream } from "../event-stream.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const logsQuery = z
  .object({
    /** The one source so far; the parameter leaves room for others (the bot's own output). */
    source: z.enum(["agent"], { message: 'must be "agent"' }).default("agent"),
    tail: z.coerce
      .number()
      .int()
      .min(1, `must be from 1 to ${MAX_TAIL_LINES}`)
      .max(MAX_TAIL_LINES, `must be from 1 to ${MAX_TAIL_LINES}`)
      .default(100),
  })
  .strict();

const followQuery = logsQuery
  .extend({
    // An idle log still writes now and then, so proxies and clients with
    // read timeouts keep the stream open and a vanished client is noticed.
    keepalive: z.coerce
      .number()
      .min(1, "must be from 1 to 300 seconds")
      .max(300, "must be from 1 to 300 seconds")
      .default(15),
  })
  .strict();

/** One event of a followed agent log. */
export const logEventSchema = z
  .discriminatedUnion("type", [
    /** One line of the log as the agent wrote it (JSON, pino's shape), oldest first. */
    z.object({ type: z.literal("line"), line: z.string() }),
    z.object({ type: z.literal("keepalive") }),
    z.object({ type: z.literal("error"), code: z.enum(BOTBOX_ERROR_CODES), message: z.string() }),
  ])
  .meta({ id: "LogEvent" });

const logsResponse = z
  .object({
    bot_id: z.string(),
    source: z.literal("agent"),
    /** Oldest first; each the agent's JSON log line (pino's shape: level, time, msg, method, durationMs, code). */
    lines: z.array(z.string()),
    /** True when the answer stopped before the oldest line kept (at `tail` lines or the read bound). */
    truncated: z.boolean(),
  })
  .meta({ id: "BotLogs" });

/**
 * GET /bots/:bot_id/logs?source=agent&tail=N: the newest lines of the bot's
 * agent log, kept by the agent with rotation (docs/metrics.md, "Agent logs").
 * The admin or the bot's own token.
 */
export function logRoutes(app: FastifyInstance, routes: AnyRoute[], logs: AgentLogs | undefined): void {
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/logs",
    summary: "The newest lines of the bot's agent log (one JSON line per call), from its rotated files",
    params: botParams,
    query: logsQuery,
    response: logsResponse,
    handler: async ({ params, query }) => {
      if (!logs) throw new UnavailableError("this server keeps no agent logs");
      const { lines, truncated } = await logs.tail(params.bot_id, query.tail);
      return { bot_id: params.bot_id, source: query.source, lines, truncated };
    },
  });

  // A follow lasts until its client goes: the server's close would wait for
  // it, so a stopping server ends each one with an error event.
  const following = new Set<AbortController>();
  app.addHook("preClose", async () => {
    for (const follow of following) follow.abort(new UnavailableError("the server is stopping"));
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/logs/follow",
    summary:
      "The newest `tail` lines of the bot's agent log, then each new one as it is written, across rotations; NDJSON, or SSE for Accept: text/event-stream",
    params: botParams,
    query: followQuery,
    response: {
      kind: "ndjson-or-sse",
      description:
        '{"type":"line",line} per log line, {"type":"keepalive"} when idle, {"type":"error",code,message} last',
      items: logEventSchema,
    },
    handler: async ({ params, query }, request, reply) => {
      if (!logs) throw new UnavailableError("this server keeps no agent logs");
      const abort = new AbortController();
      // Opened before the answer starts: a missing bot or a refused log is a status, not an event.
      const { head, lines } = await logs.follow(params.bot_id, query.tail, abort.signal);
      const socket = reply.raw;
      reply.hijack();
      following.add(abort);
      const stream = openEventStream(socket, {
        sse: (request.headers.accept ?? "").includes("text/event-stream"),
        abort,
      });
      const keepalive = setInterval(() => {
        // Only when nothing waits to be sent: a keep-alive never grows a backlog.
        if (socket.writableLength === 0) void stream.write("keepalive", { type: "keepalive" });
      }, query.keepalive * 1000);
      try {
        for (const line of head) await stream.write("line", { type: "line", line });
        for await (const line of lines) {
          if (socket.destroyed) break;
          await stream.write("line", { type: "line", line });
        }
        if (abort.signal.aborted && !socket.destroyed) throw abort.signal.reason;
      } catch (error) {
        if (!socket.destroyed) {
          const { code, message } = errorResponse(error).body.error;
          await stream.write("error", { type: "error", code, message });
        }
      } finally {
        clearInterval(keepalive);
        following.delete(abort);
        abort.abort();
        await lines.return();
      }
      socket.end();
    },
  });
}
