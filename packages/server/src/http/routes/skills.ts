import type { FastifyInstance } from "fastify";

import type { BotManager } from "../../manager/index.js";
import type { AnyRoute } from "../route.js";

/** Skills, /bots/:bot_id/container/skills (spec 7.4). */
export function skillRoutes(_app: FastifyInstance, _routes: AnyRoute[], _manager: BotManager): void {}
