import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv-provider.js";
import type { FastifyInstance } from "fastify";

import { BotboxError } from "../../errors.js";
import { type FederatedMcpServers, splitFederatedToolName } from "../../mcp/index.js";
import { type ContainerTools, TOOL_NAMES } from "../../tools/index.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const CONTAINER_TOOLS = new Set<string>(TOOL_NAMES);

// Each request gets its own Server; building a validator for each cost 0.56 ms
// of the server's CPU per call (about 12 % of it under load). One is enough.
const sharedValidator = new AjvJsonSchemaValidator();

/** One bot's tools as an MCP server: the container tools, then its federated stdio servers' tools. */
function toolServer(botId: string, tools: ContainerTools, federated: FederatedMcpServers, version: string): Server {
  const server = new Server(
    { name: "botbox", version },
    { capabilities: { tools: {} }, jsonSchemaValidator: sharedValidator },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [...tools.listTools(), ...(await federated.listTools(botId))],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    if (CONTAINER_TOOLS.has(name)) return tools.callTool(botId, name, args);
    if (!splitFederatedToolName(name)) throw new McpError(ErrorCode.InvalidParams, `unknown tool: ${name}`);
    try {
      return await federated.callTool(botId, name, args);
    } catch (error) {
      // A server that cannot be reached or answer is the LLM's business, as a tool error.
      if (error instanceof BotboxError && error.code !== "not_found") {
        return { isError: true, content: [{ type: "text", text: `${name}: ${error.message}` }] };
      }
      if (error instanceof BotboxError) throw new McpError(ErrorCode.InvalidParams, error.message);
      throw error;
    }
  });
  return server;
}

/**
 * POST /bots/:bot_id/tools: the MCP tool gateway (spec 6.3 last bullet) over
 * Streamable HTTP, stateless: each request gets its own server and
 * transport, so any number of clients and server replicas need no shared
 * session state. Behind the same bearer-token auth as every route.
 */
export function toolsGatewayRoutes(
  app: FastifyInstance,
  routes: AnyRoute[],
  tools: ContainerTools,
  federated: FederatedMcpServers,
  version: string,
): void {
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/tools",
    summary: "The bot's tools as an MCP server (Streamable HTTP, stateless): container tools and <server>__<tool>",
    params: botParams,
    handler: async ({ params }, request, reply) => {
      const server = toolServer(params.bot_id, tools, federated, version);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.hijack();
      reply.raw.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    },
  });
  for (const method of ["GET", "DELETE"] as const) {
    addRoute(app, routes, {
      method,
      url: "/bots/:bot_id/tools",
      summary: "Not used by a stateless MCP server: 405",
      params: botParams,
      handler: async (_input, _request, reply) =>
        reply
          .status(405)
          .header("allow", "POST")
          .send({ jsonrpc: "2.0", error: { code: -32000, message: "method not allowed: use POST" }, id: null }),
    });
  }
}
