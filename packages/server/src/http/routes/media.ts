import type { FastifyInstance } from "fastify";

import type { BotManager } from "../../manager/index.js";
import type { AnyRoute } from "../route.js";

export interface MediaRouteOptions {
  maxBytes: number;
}

/** Media: ingest and fetch content-addressed files (spec 7.2, 7.3). */
export function mediaRoutes(
  _app: FastifyInstance,
  _routes: AnyRoute[],
  _manager: BotManager,
  _options: MediaRouteOptions,
): void {}
