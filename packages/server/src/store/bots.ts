import { randomUUID } from "node:crypto";

import type { Selectable } from "kysely";
import { z } from "zod";

import { ConflictError, NotFoundError } from "../errors.js";
import { type EgressPolicy, normaliseEgress } from "../runtime/egress.js";
import { readDate, readJson, type StoreContext } from "./context.js";
import { translateViolations } from "./db-errors.js";
import type { BotsTable } from "./schema.js";
import { botIdSchema, displayNameSchema, parseField, parseInput } from "./validation.js";

/** How a bot's workspace runs; the manager passes it to the runtime. */
export interface BotConfig {
  /** `isolated`, `none` or `host` (runtime.ts); unset: the server's `[runtime] network`. */
  network?: "isolated" | "none" | "host";
  /** Outbound rules of an isolated bot; unset: the internet. */
  egress?: EgressPolicy;
  /** `namespaces` or `gvisor`; unset: the server's `[runtime] isolation`. */
  isolation?: "namespaces" | "gvisor";
  /** Unset limits take the server's `[runtime]` defaults. */
  limits: { memoryBytes?: number; pids?: number; cpus?: number; diskBytes?: number };
  /** Start the bot again when the server starts. */
  autoStart: boolean;
  /** The image its container is made from; unset: the server's image (`[mcp] image` or the backend's default). */
  image?: string;
  /** What the E2B front end keeps of a sandbox (docs/e2b.md): in the row, so it outlives a server restart. */
  e2b?: E2bSandboxConfig;
}

/** E2B's create options botbox keeps with the bot: its template, metadata and every command's `envs`. */
export interface E2bSandboxConfig {
  template: string;
  metadata: Record<string, string>;
  envs: Record<string, string>;
}

export interface BotRecord {
  id: string;
  displayName: string;
  config: BotConfig;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewBot {
  /** Defaults to a new UUID. */
  id?: string;
  displayName: string;
  /** Missing keys take their defaults: the server's network and limits, auto-start on. */
  config?: Partial<BotConfig>;
}

export interface BotUpdate {
  displayName?: string;
  /** Replaces the keys given, keeps the others. */
  config?: Partial<BotConfig>;
}

export interface BotStore {
  createBot(input: NewBot): Promise<BotRecord>;
  getBot(id: string): Promise<BotRecord | undefined>;
  /** Oldest first. */
  listBots(): Promise<BotRecord[]>;
  updateBot(id: string, update: BotUpdate): Promise<BotRecord>;
  /** Deletes the bot with its containers, snapshots, versions, events and tokens. */
  deleteBot(id: string): Promise<boolean>;
}

const DEFAULT_CONFIG: BotConfig = { limits: {}, autoStart: true };

const positiveInt = z.int().positive("must be a positive integer");
const configSchema = z.strictObject({
  network: z.enum(["isolated", "none", "host"]).optional(),
  isolation: z.enum(["namespaces", "gvisor"]).optional(),
  egress: z
    .strictObject({ allow: z.array(z.string()).optional(), deny: z.array(z.string()) })
    .transform((policy, context) => {
      try {
        return normaliseEgress(policy);
      } catch (error) {
        context.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  limits: z
    .strictObject({
      memoryBytes: positiveInt.optional(),
      pids: positiveInt.optional(),
      cpus: z.number().positive().optional(),
      diskBytes: positiveInt.optional(),
    })
    .optional(),
  autoStart: z.boolean().optional(),
  image: z.string().min(1).optional(),
  e2b: z
    .strictObject({
      template: z.string().min(1),
      metadata: z.record(z.string(), z.string()),
      envs: z.record(z.string(), z.string()),
    })
    .optional(),
});
const newBotSchema = z.strictObject({
  id: botIdSchema.optional(),
  displayName: displayNameSchema,
  config: configSchema.optional(),
});
const updateSchema = z.strictObject({ displayName: displayNameSchema.optional(), config: configSchema.optional() });

function toBot(row: Selectable<BotsTable>): BotRecord {
  // Defaults first, so a row written before a key existed still reads complete.
  const config = { ...DEFAULT_CONFIG, ...(readJson(row.config) as Partial<BotConfig>) };
  return {
    id: row.id,
    displayName: row.display_name,
    config,
    createdAt: readDate(row.created_at),
    updatedAt: readDate(row.updated_at),
  };
}

export function createBotStore(ctx: StoreContext): BotStore {
  const { db } = ctx;
  const getBot = async (id: string) => {
    parseField("botId", botIdSchema, id);
    const row = await db.selectFrom("bots").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toBot(row);
  };
  return {
    async createBot(input) {
      const bot = parseInput(newBotSchema, input);
      const id = bot.id ?? randomUUID();
      const now = ctx.timestamp(new Date());
      const config = JSON.stringify({ ...DEFAULT_CONFIG, ...bot.config });
      const row = await translateViolations(
        () =>
          db
            .insertInto("bots")
            .values({ id, display_name: bot.displayName, config, created_at: now, updated_at: now })
            .returningAll()
            .executeTakeFirstOrThrow(),
        { unique: (cause) => new ConflictError(`bot ${id} already exists`, { cause }) },
      );
      return toBot(row);
    },

    getBot,

    async listBots() {
      const rows = await db.selectFrom("bots").selectAll().orderBy("created_at").orderBy("id").execute();
      return rows.map(toBot);
    },

    async updateBot(id, update) {
      parseField("botId", botIdSchema, id);
      const patch = parseInput(updateSchema, update);
      // Read and write in one transaction so two concurrent config patches both land.
      return db.transaction().execute(async (trx) => {
        const current = await trx
          .selectFrom("bots")
          .selectAll()
          .where("id", "=", id)
          .$if(ctx.dialect === "postgres", (query) => query.forUpdate())
          .executeTakeFirst();
        if (!current) throw new NotFoundError(`bot ${id} not found`);
        const config = { ...toBot(current).config, ...patch.config };
        const row = await trx
          .updateTable("bots")
          .set({
            display_name: patch.displayName ?? current.display_name,
            config: JSON.stringify(config),
            updated_at: ctx.timestamp(new Date()),
          })
          .where("id", "=", id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return toBot(row);
      });
    },

    async deleteBot(id) {
      parseField("botId", botIdSchema, id);
      const result = await db.deleteFrom("bots").where("id", "=", id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
