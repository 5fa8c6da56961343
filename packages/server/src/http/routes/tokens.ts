import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

/** API tokens as the HTTP layer needs them; the store implements it. */
export interface TokenDirectory {
  createBotToken(botId: string, name: string): Promise<{ id: string; token: string }>;
  revokeToken(id: string): Promise<void>;
}

export function tokenRoutes(app: FastifyInstance, routes: AnyRoute[], tokens: TokenDirectory): void {
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/tokens",
    summary: "Issue a token that reaches only this bot (admin); the token is shown once",
    access: "admin",
    params: botParams,
    body: z.object({ name: z.string().min(1).max(200) }).strict(),
    status: 201,
    response: z
      .object({ id: z.string(), token: z.string().describe("the secret; shown this once") })
      .meta({ id: "Token" }),
    handler: async ({ params, body }) => {
      return tokens.createBotToken(params.bot_id, body.name);
    },
  });
  addRoute(app, routes, {
    method: "DELETE",
    url: "/tokens/:token_id",
    summary: "Revoke a token (admin)",
    access: "admin",
    params: z.object({ token_id: z.string().min(1) }),
    status: 204,
    response: { kind: "no-content", description: "revoked" },
    handler: async ({ params }, _request, reply) => {
      await tokens.revokeToken(params.token_id);
      return reply.status(204).send();
    },
  });
}
