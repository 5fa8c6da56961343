import type { FastifyInstance } from "fastify";

import type { BotManager } from "../../manager/index.js";
import type { AnyRoute } from "../route.js";

/** The builtin memory runtime over the bot's memory files (spec 7.5, 7.6). */
export function memoryRoutes(_app: FastifyInstance, _routes: AnyRoute[], _manager: BotManager): void {}
