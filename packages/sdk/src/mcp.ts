import type { Client } from "@modelcontextprotocol/sdk/client/index.js";

import type { paths } from "./gen/openapi.js";
import { botPath, type CallOptions, type Transport } from "./transport.js";
import type { McpServerInfo } from "./types.js";

/** What a bot's MCP server is: a command (with args, env, cwd) the bot runs over stdio. */
export type McpServerConfig =
  paths["/bots/{bot_id}/mcp-servers/{name}"]["put"]["requestBody"]["content"]["application/json"];

/** `bot.mcp.servers`: the MCP servers configured for the bot, federated into its tool gateway. */
export class BotMcpServers {
  constructor(
    private readonly transport: Transport,
    private readonly botId: string,
  ) {}

  /** Creates or replaces the server of this name. */
  async put(name: string, config: McpServerConfig, call: CallOptions = {}): Promise<McpServerInfo> {
    return this.transport.call(
      this.transport.api.PUT("/bots/{bot_id}/mcp-servers/{name}", {
        params: { path: { bot_id: this.botId, name } },
        body: config,
        ...call,
      }),
    );
  }

  async list(call: CallOptions = {}): Promise<McpServerInfo[]> {
    const { servers } = await this.transport.call(
      this.transport.api.GET("/bots/{bot_id}/mcp-servers", { params: { path: { bot_id: this.botId } }, ...call }),
    );
    return servers;
  }

  async remove(name: string, call: CallOptions = {}): Promise<void> {
    await this.transport.call(
      this.transport.api.DELETE("/bots/{bot_id}/mcp-servers/{name}", {
        params: { path: { bot_id: this.botId, name } },
        ...call,
      }),
    );
  }
}

/** `bot.mcp`: configured servers, and a client of the bot's tool gateway. */
export class BotMcp {
  readonly servers: BotMcpServers;

  constructor(
    private readonly transport: Transport,
    private readonly botId: string,
  ) {
    this.servers = new BotMcpServers(transport, botId);
  }

  /**
   * An MCP SDK client connected to the bot's tool gateway (its built-in tools
   * and its servers' tools) over Streamable HTTP; close it when done.
   */
  async connect(clientInfo = { name: "botbox-sdk", version: "0.1.0" }): Promise<Client> {
    // Loaded when first used: most users of the SDK (the CLI's commands) never open the gateway.
    const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
      import("@modelcontextprotocol/sdk/client/index.js"),
      import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
    ]);
    const client = new Client(clientInfo);
    const gateway = new StreamableHTTPClientTransport(
      new URL(`${this.transport.url}${botPath(this.botId, "/tools")}`),
      {
        requestInit: { headers: { authorization: `Bearer ${this.transport.token}` } },
      },
    );
    await client.connect(gateway);
    return client;
  }
}
