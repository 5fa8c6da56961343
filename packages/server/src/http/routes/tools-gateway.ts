import type { FastifyInstance } from "fastify";
import { z } from "zod";

import type { BotToolGateway } from "../../mcp/index.js";
import { errorSchema, jsonRpcResponse } from "../api-schemas.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

/**
 * POST /bots/:bot_id/tools: the MCP tool gateway (the LLM tools reach clients here) over
 * Streamable HTTP, stateless: each request gets its own server and
 * transport, so any number of clients and server replicas need no shared
 * session state. Behind the same bearer-token auth as every route. Which
 * tools there are and what a call does is BotToolGateway's (mcp/tool-gateway.ts).
 */
export function toolsGatewayRoutes(
  app: FastifyInstance,
  routes: AnyRoute[],
  gateway: BotToolGateway,
  version: string,
): void {
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/tools",
    summary: "The bot's tools as an MCP server (Streamable HTTP, stateless): container tools and <server>__<tool>",
    params: botParams,
    response: {
      kind: "mcp",
      description: "the JSON-RPC response (application/json) or a stream of them (text/event-stream), per MCP",
    },
    handler: async ({ params }, request, reply) => {
      const { handleGatewayRequest } = await import("./tools-gateway-server.js");
      reply.hijack();
      await handleGatewayRequest(params.bot_id, { tools: gateway, version }, request.raw, reply.raw, request.body);
    },
  });
  for (const method of ["GET", "DELETE"] as const) {
    addRoute(app, routes, {
      method,
      url: "/bots/:bot_id/tools",
      summary: "Not used by a stateless MCP server: 405",
      params: botParams,
      // Never a success: the JSON-RPC error MCP clients expect, beside the envelope of auth's refusals.
      status: 405,
      response: jsonRpcResponse,
      errorBody: z.union([errorSchema, jsonRpcResponse]),
      handler: async (_input, _request, reply) =>
        reply
          .status(405)
          .header("allow", "POST")
          .send({ jsonrpc: "2.0", error: { code: -32000, message: "method not allowed: use POST" }, id: null }),
    });
  }
}
