import type { FastifyInstance } from "fastify";

import type { BotManager } from "../../manager/index.js";
import type { AnyRoute } from "../route.js";

export interface FileRouteOptions {
  maxUploadBytes: number;
  maxReadBytes: number;
}

/** The file manager, /bots/:bot_id/container/fs… (spec 7.1). */
export function fileRoutes(
  _app: FastifyInstance,
  _routes: AnyRoute[],
  _manager: BotManager,
  _options: FileRouteOptions,
): void {}
