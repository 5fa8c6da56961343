import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";

import { BadRequestError, NotFoundError } from "../errors.js";
import type { McpCallOptions, StdioServerConfig } from "./session-config.js";
import { StdioSessionRegistry, type StdioSessionRegistryOptions } from "./session-registry.js";
import type { StdioSession } from "./stdio-session.js";

/**
 * Joins a server's name and its tool's name: `<server>__<tool>`. Underscores
 * are valid in MCP tool names ([A-Za-z0-9_.-]); server names may not contain
 * two in a row nor start or end with one, so the first `__` of a federated
 * name always ends the server's part, whatever the tool is called.
 */
export const FEDERATED_TOOL_SEPARATOR = "__";

const SERVER_NAME = /^[A-Za-z0-9.-]+(?:_[A-Za-z0-9.-]+)*$/;

/** A bot's configured stdio servers, read at every use so edits take effect. */
export type StdioConfigSource = (botId: string) => Promise<StdioServerConfig[]>;

/** A registry's options (agents, logger, idle time, session options), and where configurations come from. */
export interface FederatedMcpServersOptions extends StdioSessionRegistryOptions {
  configs: StdioConfigSource;
}

interface Entry {
  readonly fingerprint: string;
  readonly session: Promise<StdioSession>;
}

export function federatedToolName(server: string, tool: string): string {
  return `${server}${FEDERATED_TOOL_SEPARATOR}${tool}`;
}

/** The server and tool of a federated name, or undefined if it is not one. */
export function splitFederatedToolName(name: string): { server: string; tool: string } | undefined {
  const at = name.indexOf(FEDERATED_TOOL_SEPARATOR);
  if (at <= 0 || at + FEDERATED_TOOL_SEPARATOR.length >= name.length) return undefined;
  return { server: name.slice(0, at), tool: name.slice(at + FEDERATED_TOOL_SEPARATOR.length) };
}

/**
 * The tools of a bot's configured stdio servers, as one list. Each server
 * runs once per bot and is reused across calls (the original started a
 * process for every tools/list and tools/call); a session that
 * ended is started again at its next use, and a changed configuration
 * replaces it. Idle sessions are closed like any other.
 */
export class FederatedMcpServers {
  private readonly registry: StdioSessionRegistry;
  /** By bot id and server name. */
  private readonly entries = new Map<string, Map<string, Entry>>();

  constructor(private readonly options: FederatedMcpServersOptions) {
    // One session per configured server: the configurations bound their number
    // (the store keeps at most 64 a bot), not the cap on a bot's ad hoc sessions.
    this.registry = new StdioSessionRegistry({
      ...options,
      maxSessionsPerBot: options.maxSessionsPerBot ?? Number.POSITIVE_INFINITY,
    });
  }

  /** Every server's tools, renamed `<server>__<tool>`. A server that fails is logged and left out. */
  async listTools(botId: string, options: McpCallOptions = {}): Promise<Tool[]> {
    const configs = await this.configsOf(botId);
    const lists = await Promise.all(
      configs.map(async (config) => {
        try {
          if (!SERVER_NAME.test(config.name)) {
            throw new BadRequestError(`mcp server name ${JSON.stringify(config.name)} must match ${SERVER_NAME}`);
          }
          const session = await this.sessionFor(botId, config);
          const tools = await session.listTools(options);
          return tools.map((tool) => ({ ...tool, name: federatedToolName(config.name, tool.name) }));
        } catch (error) {
          this.options.logger.warn({ botId, mcpServer: config.name, err: error }, "federated mcp server failed");
          return [];
        }
      }),
    );
    return lists.flat();
  }

  /** Calls `<server>__<tool>` on its server, starting the server if it is not running. */
  async callTool(
    botId: string,
    federatedName: string,
    args: Record<string, unknown> = {},
    options: McpCallOptions = {},
  ): Promise<CallToolResult> {
    const parts = splitFederatedToolName(federatedName);
    if (!parts) throw new NotFoundError(`${JSON.stringify(federatedName)} is not a federated tool name`);
    const config = (await this.configsOf(botId)).find((candidate) => candidate.name === parts.server);
    if (!config) throw new NotFoundError(`no mcp server named ${JSON.stringify(parts.server)}`);
    const session = await this.sessionFor(botId, config);
    return session.callTool(parts.tool, args, options);
  }

  /** Closes a bot's servers (it is stopping, or being deleted). */
  async closeAllForBot(botId: string): Promise<void> {
    this.entries.delete(botId);
    await this.registry.closeAllForBot(botId);
  }

  async shutdown(): Promise<void> {
    this.entries.clear();
    await this.registry.shutdown();
  }

  /** The bot's configuration; servers no longer in it are closed. */
  private async configsOf(botId: string): Promise<StdioServerConfig[]> {
    const configs = await this.options.configs(botId);
    const names = new Set(configs.map((config) => config.name));
    const entries = this.entries.get(botId);
    for (const [name, entry] of entries ?? []) {
      if (names.has(name)) continue;
      entries!.delete(name);
      void entry.session.then(
        (session) => session.close("removed from the configuration"),
        () => undefined,
      );
    }
    return configs;
  }

  private async sessionFor(botId: string, config: StdioServerConfig): Promise<StdioSession> {
    let entries = this.entries.get(botId);
    if (!entries) this.entries.set(botId, (entries = new Map()));
    const fingerprint = fingerprintOf(config);
    for (;;) {
      const entry = entries.get(config.name);
      if (!entry || entry.fingerprint !== fingerprint) break;
      const session = await entry.session.catch(() => undefined);
      if (session && session.closeReason === undefined) return session;
      // Ended, or never started: start afresh, unless a caller already did.
      if (entries.get(config.name) === entry) break;
    }
    const previous = entries.get(config.name);
    if (previous && previous.fingerprint !== fingerprint) {
      void previous.session.then(
        (session) => session.close("configuration changed"),
        () => undefined,
      );
    }
    const session = this.registry.create(botId, config).then(({ session }) => session);
    entries.set(config.name, { fingerprint, session });
    return session;
  }
}

/** What makes two configurations run the same process. */
function fingerprintOf(config: StdioServerConfig): string {
  const env = Object.entries(config.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([config.command, config.args ?? [], env, config.cwd?.trim() ?? ""]);
}
