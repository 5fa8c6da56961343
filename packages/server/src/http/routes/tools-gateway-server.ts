// The Streamable HTTP half of the tool gateway, loaded on its first request
// with the MCP SDK (see mcp/tool-gateway-server.ts for why).
import type { IncomingMessage, ServerResponse } from "node:http";

import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

import type { BotToolGateway } from "../../mcp/tool-gateway.js";
import { toolGatewayServer } from "../../mcp/tool-gateway-server.js";

/** Answers one Streamable HTTP request with a fresh stateless server and transport. */
export async function handleGatewayRequest(
  botId: string,
  gateway: { tools: BotToolGateway; version: string },
  request: IncomingMessage,
  response: ServerResponse,
  body: unknown,
): Promise<void> {
  const server = toolGatewayServer(botId, gateway.tools, gateway.version);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  response.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(request, response, body);
}
