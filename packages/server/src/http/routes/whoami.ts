import type { FastifyInstance } from "fastify";

import { addRoute, type AnyRoute } from "../route.js";

/**
 * Who the caller's token acts for: `{kind: "admin"}` or `{kind: "bot",
 * bot_id}`. The web console asks at sign-in, to check the token and to
 * offer only what it may do.
 */
export function whoamiRoutes(app: FastifyInstance, routes: AnyRoute[]): void {
  addRoute(app, routes, {
    method: "GET",
    url: "/whoami",
    summary: "Who the bearer token acts for: the admin, or one bot ({kind, bot_id})",
    handler: async (_input, request) => {
      const principal = request.principal;
      return principal?.kind === "bot" ? { kind: "bot", bot_id: principal.botId } : { kind: "admin" };
    },
  });
}
