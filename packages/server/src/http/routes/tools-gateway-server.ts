// The MCP SDK half of the tool gateway, loaded on its first request: the SDK
// (its schemas, ajv, hono) would otherwise be parsed and run at every server
// start, before the server re-attaches to its bots.
import type { IncomingMessage, ServerResponse } from "node:http";

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

import { BotboxError } from "../../errors.js";
import { type FederatedMcpServers, splitFederatedToolName } from "../../mcp/index.js";
import { type ContainerTools, TOOL_NAMES } from "../../tools/index.js";

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

/** Answers one Streamable HTTP request with a fresh stateless server and transport. */
export async function handleGatewayRequest(
  botId: string,
  gateway: { tools: ContainerTools; federated: FederatedMcpServers; version: string },
  request: IncomingMessage,
  response: ServerResponse,
  body: unknown,
): Promise<void> {
  const server = toolServer(botId, gateway.tools, gateway.federated, gateway.version);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  response.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(request, response, body);
}
