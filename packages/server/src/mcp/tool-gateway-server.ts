// The MCP SDK half of the tool gateway, loaded on its first request: the SDK
// (its schemas, ajv, hono) would otherwise be parsed and run at every server
// start, before the server re-attaches to its bots.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv-provider.js";

import { type BotToolGateway, UnknownGatewayToolError } from "./tool-gateway.js";

// Each request gets its own Server; building a validator for each cost 0.56 ms
// of the server's CPU per call (about 12 % of it under load). One is enough.
const sharedValidator = new AjvJsonSchemaValidator();

/** One bot's tools (BotToolGateway) as an MCP server; an unknown tool is MCP's "invalid params". */
export function toolGatewayServer(botId: string, gateway: BotToolGateway, version: string): Server {
  const server = new Server(
    { name: "botbox", version },
    { capabilities: { tools: {} }, jsonSchemaValidator: sharedValidator },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await gateway.listTools(botId) }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    try {
      return await gateway.callTool(botId, name, args);
    } catch (error) {
      if (error instanceof UnknownGatewayToolError) throw new McpError(ErrorCode.InvalidParams, error.message);
      throw error;
    }
  });
  return server;
}
