import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";

import { BotboxError, NotFoundError } from "../errors.js";
import { type ContainerTools, TOOL_NAMES } from "../tools/index.js";
import { type FederatedMcpServers, splitFederatedToolName } from "./federation.js";

const CONTAINER_TOOLS = new Set<string>(TOOL_NAMES);

/** A tool name the gateway has no tool for: the caller's mistake (MCP's "invalid params"). */
export class UnknownGatewayToolError extends NotFoundError {
  constructor(
    readonly toolName: string,
    message = `unknown tool: ${toolName}`,
  ) {
    super(message);
  }
}

export interface BotToolGatewayOptions {
  tools: ContainerTools;
  federated: FederatedMcpServers;
}

/**
 * One bot's tools as the MCP tool gateway (POST /bots/:bot_id/tools) offers
 * them: the container tools, then each configured stdio server's tools as
 * `<server>__<tool>`. It decides which provider answers a call and what a
 * failure becomes; the MCP SDK's server and the HTTP transport around it
 * (tool-gateway-server.ts, http/routes/tools-gateway*.ts) only carry it.
 *
 * Imports only the SDK's types: the composition root builds it at start,
 * and the SDK itself loads with the first gateway request.
 */
export class BotToolGateway {
  constructor(private readonly options: BotToolGatewayOptions) {}

  async listTools(botId: string): Promise<Tool[]> {
    return [...this.options.tools.listTools(), ...(await this.options.federated.listTools(botId))];
  }

  /**
   * A tool's result. A federated server that cannot be reached or answer is
   * the LLM's business, reported as a tool error; an unknown tool (or server)
   * throws UnknownGatewayToolError.
   */
  async callTool(botId: string, name: string, args: Record<string, unknown> | undefined): Promise<CallToolResult> {
    if (CONTAINER_TOOLS.has(name)) return this.options.tools.callTool(botId, name, args);
    if (!splitFederatedToolName(name)) throw new UnknownGatewayToolError(name);
    try {
      return await this.options.federated.callTool(botId, name, args);
    } catch (error) {
      if (error instanceof BotboxError && error.code === "not_found")
        throw new UnknownGatewayToolError(name, error.message);
      if (error instanceof BotboxError) {
        return { isError: true, content: [{ type: "text", text: `${name}: ${error.message}` }] };
      }
      throw error;
    }
  }
}
