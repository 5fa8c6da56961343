import type { Selectable } from "kysely";
import { z } from "zod";

import { ConflictError, NotFoundError } from "../errors.js";
import { readBool, readDate, readJson, type StoreContext } from "./context.js";
import { translateViolations } from "./db-errors.js";
import type { McpServersTable } from "./schema.js";
import { botIdSchema, parseField, parseInput } from "./validation.js";

/** A bot's stdio MCP server: a command run inside its workspace. */
export interface McpServerRecord {
  botId: string;
  /** Unique per bot; prefixes its tools in the gateway, so letters, digits, '_' and '-' only. */
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Relative paths resolve under /data; "" means /data. */
  cwd: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface McpServerInput {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  enabled?: boolean;
}

export interface McpServerStore {
  /** Creates or replaces the bot's server of that name. NotFoundError for an unknown bot. */
  putMcpServer(botId: string, name: string, input: McpServerInput): Promise<McpServerRecord>;
  getMcpServer(botId: string, name: string): Promise<McpServerRecord | undefined>;
  /** By name. */
  listMcpServers(botId: string): Promise<McpServerRecord[]>;
  deleteMcpServer(botId: string, name: string): Promise<boolean>;
}

export const mcpServerNameSchema = z
  .string()
  .max(48, "must be at most 48 characters")
  // "__" separates the server from the tool in federated tool names, so single underscores only.
  .regex(/^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$/, "must be letters, digits, '-' and single '_' inside, e.g. my-server_1");

/** The most MCP servers a bot may configure. */
export const MAX_MCP_SERVERS_PER_BOT = 64;
/** The most bytes of command, args, env (names and values) and cwd one configuration may hold together. */
export const MAX_MCP_SERVER_CONFIG_BYTES = 64 * 1024;

/** What a configuration weighs: every string of it, in UTF-8 bytes. */
export function mcpServerConfigBytes(config: {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}): number {
  const strings = [
    config.command,
    config.cwd ?? "",
    ...(config.args ?? []),
    ...Object.entries(config.env ?? {}).flat(),
  ];
  return strings.reduce((total, value) => total + Buffer.byteLength(value), 0);
}

const noNul = (value: string) => !value.includes("\0");
const fieldsSchema = z.strictObject({
  command: z.string().trim().min(1, "must not be empty").max(4096).refine(noNul, "must not contain NUL"),
  args: z.array(z.string().max(65536).refine(noNul, "must not contain NUL")).max(256).default([]),
  env: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "env names must be letters, digits and '_', not starting with a digit"),
      z.string().max(65536).refine(noNul, "must not contain NUL"),
    )
    .default({}),
  cwd: z.string().max(4096).refine(noNul, "must not contain NUL").default(""),
  enabled: z.boolean().default(true),
});
// Every configuration is stored, and read back at each tools listing: a bot must not grow them without bound.
const inputSchema = fieldsSchema.superRefine((config, context) => {
  const bytes = mcpServerConfigBytes(config);
  if (bytes > MAX_MCP_SERVER_CONFIG_BYTES) {
    context.addIssue({
      code: "custom",
      message: `command, args, env and cwd together must be at most ${MAX_MCP_SERVER_CONFIG_BYTES} bytes (these are ${bytes})`,
    });
  }
});

function toRecord(row: Selectable<McpServersTable>): McpServerRecord {
  return {
    botId: row.bot_id,
    name: row.name,
    command: row.command,
    args: readJson(row.args) as string[],
    env: readJson(row.env) as Record<string, string>,
    cwd: row.cwd,
    enabled: readBool(row.enabled),
    createdAt: readDate(row.created_at),
    updatedAt: readDate(row.updated_at),
  };
}

export function createMcpServerStore(ctx: StoreContext): McpServerStore {
  const { db } = ctx;
  const key = (botId: string, name: string) => {
    parseField("botId", botIdSchema, botId);
    parseField("name", mcpServerNameSchema, name);
  };
  return {
    async putMcpServer(botId, name, input) {
      key(botId, name);
      const server = parseInput(inputSchema, input);
      const now = ctx.timestamp(new Date());
      const values = {
        command: server.command,
        args: JSON.stringify(server.args),
        env: JSON.stringify(server.env),
        cwd: server.cwd,
        enabled: ctx.bool(server.enabled),
        updated_at: now,
      };
      // The count and the write in one transaction, the bot's row locked on
      // PostgreSQL, so concurrent additions cannot pass the limit together.
      const row = await translateViolations(
        () =>
          db.transaction().execute(async (trx) => {
            const bot = await trx
              .selectFrom("bots")
              .select("id")
              .where("id", "=", botId)
              .$if(ctx.dialect === "postgres", (query) => query.forUpdate())
              .executeTakeFirst();
            if (!bot) throw new NotFoundError(`bot ${botId} not found`);
            const { others } = await trx
              .selectFrom("mcp_servers")
              .select((eb) => eb.fn.countAll<number | string | bigint>().as("others"))
              .where("bot_id", "=", botId)
              .where("name", "!=", name)
              .executeTakeFirstOrThrow();
            if (Number(others) >= MAX_MCP_SERVERS_PER_BOT) {
              throw new ConflictError(
                `bot ${botId} already has ${MAX_MCP_SERVERS_PER_BOT} MCP servers, the most a bot may have; delete one first`,
              );
            }
            return trx
              .insertInto("mcp_servers")
              .values({ bot_id: botId, name, ...values, created_at: now })
              .onConflict((oc) => oc.columns(["bot_id", "name"]).doUpdateSet(values))
              .returningAll()
              .executeTakeFirstOrThrow();
          }),
        { foreign_key: (cause) => new NotFoundError(`bot ${botId} not found`, { cause }) },
      );
      return toRecord(row);
    },

    async getMcpServer(botId, name) {
      key(botId, name);
      const row = await db
        .selectFrom("mcp_servers")
        .selectAll()
        .where("bot_id", "=", botId)
        .where("name", "=", name)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async listMcpServers(botId) {
      parseField("botId", botIdSchema, botId);
      const rows = await db.selectFrom("mcp_servers").selectAll().where("bot_id", "=", botId).orderBy("name").execute();
      return rows.map(toRecord);
    },

    async deleteMcpServer(botId, name) {
      key(botId, name);
      const result = await db
        .deleteFrom("mcp_servers")
        .where("bot_id", "=", botId)
        .where("name", "=", name)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
