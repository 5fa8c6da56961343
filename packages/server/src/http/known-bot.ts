import type { FastifyInstance } from "fastify";

import { BadRequestError, NotFoundError } from "../errors.js";
import { answerBeforeBody } from "./early-answer.js";
import type { BotDirectory } from "./routes/bots.js";

/**
 * Every route that names a bot answers 404 for a bot that does not exist,
 * before it does anything else: left to each route, one asked the runtime
 * first and answered 503 (as for a stopped bot), another listed nothing.
 * A bot token naming another, existing bot gets the same 404 from the
 * route's access check, so the answer tells it nothing.
 */
export function requireKnownBot(app: FastifyInstance, bots: Pick<BotDirectory, "getBot">): void {
  app.addHook("preHandler", async (request, reply) => {
    if (!request.routeOptions.url?.includes(":bot_id")) return;
    const botId = (request.params as { bot_id?: unknown } | undefined)?.bot_id;
    // An id the store refuses (bad characters, too long) is left to the route's own check: a 400 naming it.
    if (typeof botId !== "string" || (await bots.getBot(botId).catch(invalidIdIsChecked)) !== undefined) return;
    answerBeforeBody(request, reply);
    throw new NotFoundError(`bot ${botId} not found`);
  });
}

function invalidIdIsChecked(error: unknown): "invalid id" {
  if (error instanceof BadRequestError) return "invalid id";
  throw error;
}
