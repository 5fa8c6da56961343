import type { FastifyInstance } from "fastify";
import { z } from "zod";

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
    response: z
      .discriminatedUnion("kind", [
        z.object({ kind: z.literal("admin") }),
        z.object({ kind: z.literal("bot"), bot_id: z.string() }),
      ])
      .meta({ id: "Principal" }),
    handler: async (_input, request) => {
      const principal = request.principal;
      return principal?.kind === "bot" ? { kind: "bot" as const, bot_id: principal.botId } : { kind: "admin" as const };
    },
  });
}
