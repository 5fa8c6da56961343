import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { NotFoundError } from "../../errors.js";
import type { FederatedMcpServers } from "../../mcp/index.js";
import type { McpServerRecord, McpServerStore } from "../../store/index.js";
import { mcpToolSchema, timestamp } from "../api-schemas.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const serverParams = botParams.extend({ name: z.string().min(1).max(48) });

const serverBody = z
  .object({
    command: z.string(),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

const mcpServerSchema = z
  .object({
    name: z.string(),
    command: z.string(),
    args: z.array(z.string()),
    env: z.record(z.string(), z.string()),
    cwd: z.string(),
    enabled: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: "McpServer" });

function view(server: McpServerRecord) {
  return {
    name: server.name,
    command: server.command,
    args: server.args,
    env: server.env,
    cwd: server.cwd,
    enabled: server.enabled,
    created_at: server.createdAt,
    updated_at: server.updatedAt,
  };
}

/**
 * A bot's configured stdio MCP servers: the gateway at /bots/:id/tools
 * serves their tools as `<name>__<tool>`, each server one long-lived
 * process in the bot's workspace.
 */
export function mcpServerRoutes(
  app: FastifyInstance,
  routes: AnyRoute[],
  servers: McpServerStore,
  federated: FederatedMcpServers,
): void {
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/mcp-servers",
    summary: "The bot's configured stdio MCP servers",
    params: botParams,
    response: z.object({ servers: z.array(mcpServerSchema) }),
    handler: async ({ params }) => ({ servers: (await servers.listMcpServers(params.bot_id)).map(view) }),
  });
  addRoute(app, routes, {
    method: "PUT",
    url: "/bots/:bot_id/mcp-servers/:name",
    summary: "Add or replace a stdio MCP server; a running one restarts with the new settings at its next use",
    params: serverParams,
    body: serverBody,
    response: mcpServerSchema,
    handler: async ({ params, body }) => view(await servers.putMcpServer(params.bot_id, params.name, body)),
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/mcp-servers/:name",
    summary: "One configured stdio MCP server",
    params: serverParams,
    response: mcpServerSchema,
    handler: async ({ params }) => {
      const server = await servers.getMcpServer(params.bot_id, params.name);
      if (!server) throw new NotFoundError(`no mcp server named ${params.name}`);
      return view(server);
    },
  });
  addRoute(app, routes, {
    method: "DELETE",
    url: "/bots/:bot_id/mcp-servers/:name",
    summary: "Remove a stdio MCP server (its running process ends at the next tools listing)",
    params: serverParams,
    status: 204,
    response: { kind: "no-content", description: "removed" },
    handler: async ({ params }, _request, reply) => {
      if (!(await servers.deleteMcpServer(params.bot_id, params.name))) {
        throw new NotFoundError(`no mcp server named ${params.name}`);
      }
      return reply.status(204).send();
    },
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/mcp-servers/:name/tools",
    summary: "The tools of one configured server, as the gateway names them",
    params: serverParams,
    response: z.object({ tools: z.array(mcpToolSchema) }),
    handler: async ({ params }) => {
      if (!(await servers.getMcpServer(params.bot_id, params.name))) {
        throw new NotFoundError(`no mcp server named ${params.name}`);
      }
      const prefix = `${params.name}__`;
      const tools = await federated.listTools(params.bot_id);
      return { tools: tools.filter((tool) => tool.name.startsWith(prefix)) };
    },
  });
}
