import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { UnavailableError } from "../../errors.js";
import { type AgentLogs, MAX_TAIL_LINES } from "../../logs/index.js";
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
}
