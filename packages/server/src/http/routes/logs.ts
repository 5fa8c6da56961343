import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { BOTBOX_ERROR_CODES, UnavailableError } from "../../errors.js";
import { type AgentLogs, MAX_TAIL_LINES } from "../../logs/index.js";
import { keepaliveQuery, streamJsonEvents, streamsEndedOnClose } from "../event-stream.js";
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
    keepalive: keepaliveQuery,
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

  const following = streamsEndedOnClose(app);
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
      reply.hijack();
      following.add(abort, reply.raw);
      const lineEvents = async function* () {
        for await (const line of lines) yield { type: "line", line };
      };
      try {
        await streamJsonEvents(
          reply.raw,
          head.map((line) => ({ type: "line", line })),
          lineEvents(),
          {
            sse: (request.headers.accept ?? "").includes("text/event-stream"),
            abort,
            keepaliveMs: query.keepalive * 1000,
          },
        );
      } finally {
        following.delete(abort);
        abort.abort();
        await lines.return();
      }
    },
  });
}
