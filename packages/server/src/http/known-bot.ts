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
    if (typeof botId !== "string" || (await bots.getBot(botId).catch(invalidIdIsUnknown))) return;
    answerBeforeBody(request, reply);
    throw new NotFoundError(`bot ${botId} not found`);
  });
}

/** An id the store refuses (too long, bad characters) names no bot either. */
function invalidIdIsUnknown(error: unknown): undefined {
  if (error instanceof BadRequestError) return undefined;
  throw error;
}
