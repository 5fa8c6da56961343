import type { FastifyInstance } from "fastify";
import { z } from "zod";

import type { BotManager } from "../../manager/index.js";
// From their own modules, not the mcp index: the index also carries the
// session and its transport, which load the MCP SDK, and a server start
// should not (they come with the first session).
import type { JsonRpcCallRequest, StdioSessionRegistry } from "../../mcp/index.js";
import { probeTools } from "../../mcp/probe-tools.js";
import { MAX_MCP_SERVER_CONFIG_BYTES, mcpServerConfigBytes } from "../../store/index.js";
import { jsonRpcResponse } from "../api-schemas.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const startBody = z
  .object({
    name: z.string().max(200).default(""),
    command: z.string().trim().min(1, "command is required").max(4096),
    args: z.array(z.string().max(65536)).max(256).default([]),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "env names must be letters, digits and '_'"), z.string())
      .default({}),
    cwd: z.string().max(4096).default(""),
  })
  .strict()
  // The same bound as a configured server's: a session keeps its command for its whole life.
  .refine((config) => mcpServerConfigBytes(config) <= MAX_MCP_SERVER_CONFIG_BYTES, {
    message: `command, args, env and cwd together must be at most ${MAX_MCP_SERVER_CONFIG_BYTES} bytes`,
  });

const connectionParams = botParams.extend({ connection_id: z.string().min(1).max(64) });

/** Any JSON object: JSON-RPC errors are answered as envelopes (HTTP 200), not as HTTP 400s. */
const jsonRpcBody = z.record(z.string(), z.unknown());

const rpcError = (id: unknown, code: number, message: string) => ({
  jsonrpc: "2.0",
  id: id ?? null,
  error: { code, message },
});

const urlOf = (botId: string, connectionId: string) => `/bots/${botId}/mcp-stdio/${connectionId}`;

/**
 * Stdio MCP servers run in the bot's workspace through Exec, and
 * JSON-RPC proxied to them. Sessions live on after the request that started
 * them, until closed, idle too long, or their server exits.
 */
export function mcpStdioRoutes(
  app: FastifyInstance,
  routes: AnyRoute[],
  manager: BotManager,
  sessions: StdioSessionRegistry,
): void {
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/mcp-stdio",
    summary: "Start a stdio MCP server in the bot's workspace; answers its connection id, URL and tool names",
    params: botParams,
    body: startBody,
    response: z
      .object({
        connection_id: z.string(),
        url: z.string(),
        /** The server's tool names, when it listed them in time. */
        tools: z.array(z.string()).optional(),
      })
      .meta({ id: "McpStdioSessionStarted" }),
    handler: async ({ params, body }, request) => {
      // ensureContainerAndTask: a stopped bot is started first.
      await manager.start(params.bot_id);
      const { connectionId, session } = await sessions.create(params.bot_id, {
        name: body.name || body.command,
        command: body.command,
        args: body.args,
        env: body.env,
        cwd: body.cwd,
      });
      const tools = await probeTools(session, request.log);
      return { connection_id: connectionId, url: urlOf(params.bot_id, connectionId), ...(tools ? { tools } : {}) };
    },
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/mcp-stdio",
    summary: "The bot's open stdio MCP sessions",
    params: botParams,
    response: z.object({
      sessions: z.array(
        z
          .object({
            connection_id: z.string(),
            name: z.string(),
            url: z.string(),
            last_used_at: z.iso.datetime(),
            pending_requests: z.number(),
          })
          .meta({ id: "McpStdioSession" }),
      ),
    }),
    handler: async ({ params }) => ({
      sessions: sessions.list(params.bot_id).map((session) => ({
        connection_id: session.id,
        name: session.name,
        url: urlOf(params.bot_id, session.id),
        last_used_at: new Date(session.lastUsedAt).toISOString(),
        pending_requests: session.pendingRequests,
      })),
    }),
  });
  addRoute(app, routes, {
    method: "DELETE",
    url: "/bots/:bot_id/mcp-stdio/:connection_id",
    summary: "Close a stdio MCP session and end its server",
    params: connectionParams,
    status: 204,
    response: { kind: "no-content", description: "closed" },
    handler: async ({ params }, _request, reply) => {
      sessions.get(params.bot_id, params.connection_id);
      await sessions.close(params.bot_id, params.connection_id);
      return reply.status(204).send();
    },
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/mcp-stdio/:connection_id",
    summary: "Send one JSON-RPC request or notification to the session's server; answers the JSON-RPC response",
    params: connectionParams,
    body: jsonRpcBody,
    response: jsonRpcResponse,
    alsoAnswers: { 202: "a notification, delivered (no body)" },
    handler: async ({ params, body }, _request, reply) => {
      const session = sessions.get(params.bot_id, params.connection_id);
      const message = body as JsonRpcCallRequest & Record<string, unknown>;
      const hasId = message.id !== undefined && message.id !== null;
      if (message.jsonrpc !== undefined && message.jsonrpc !== "2.0") {
        return rpcError(message.id, -32600, "invalid jsonrpc version");
      }
      if (typeof message.method !== "string" || message.method.trim() === "") {
        return rpcError(message.id, -32601, "method not found");
      }
      if (!hasId && message.method.startsWith("notifications/")) {
        await session.notify(message);
        return reply.status(202).send();
      }
      if (!hasId) return rpcError(null, -32603, "missing request id");
      try {
        return await session.call(message);
      } catch (error) {
        return rpcError(message.id, -32603, error instanceof Error ? error.message : String(error));
      }
    },
  });
}
