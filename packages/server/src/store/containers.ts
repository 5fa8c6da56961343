import type { Selectable, Updateable } from "kysely";
import { z } from "zod";

import { ConflictError, NotFoundError } from "../errors.js";
import { readBool, readDate, readNullableDate, type StoreContext } from "./context.js";
import { translateViolations } from "./db-errors.js";
import { newId } from "./ids.js";
import type { ContainersTable } from "./schema.js";
import { botIdSchema, nameSchema, parseField, parseInput } from "./validation.js";

export const CONTAINER_STATUSES = ["created", "running", "stopped", "error"] as const;
export type ContainerStatus = (typeof CONTAINER_STATUSES)[number];

export interface ContainerRecord {
  id: string;
  botId: string;
  /** The runtime's id, `mcp-<botId>`. */
  containerId: string;
  containerName: string;
  image: string;
  status: ContainerStatus;
  namespace: string;
  autoStart: boolean;
  containerPath: string;
  /** The runtime backend that owns the container (`sandbox`, `containerd`…), if recorded. */
  runtime: string | null;
  createdAt: Date;
  updatedAt: Date;
  lastStartedAt: Date | null;
  lastStoppedAt: Date | null;
}

/**
 * A new container row, or changes to the one with this `containerId`. On
 * insert, omitted fields take their defaults (status `created`, namespace
 * `default`, auto-start on, path `/data`, name = containerId). On update,
 * omitted fields keep their value: unlike the original's ensureDBRecords,
 * recording a container never resets a `running` status,
 * and never writes an empty container path.
 */
export interface ContainerUpsert {
  botId: string;
  containerId: string;
  containerName?: string;
  image: string;
  status?: ContainerStatus;
  namespace?: string;
  autoStart?: boolean;
  containerPath?: string;
  runtime?: string | null;
  /** `null` clears the timestamp. */
  lastStartedAt?: Date | null;
  lastStoppedAt?: Date | null;
}

export interface ContainerStore {
  /** The original's UpsertContainer. A containerId owned by another bot is a ConflictError. */
  upsertContainer(input: ContainerUpsert): Promise<ContainerRecord>;
  getContainer(containerId: string): Promise<ContainerRecord | undefined>;
  /** The bot's most recently updated container. */
  getContainerByBotId(botId: string): Promise<ContainerRecord | undefined>;
  /** Deletes every container row of the bot, with their snapshots, versions and events. */
  deleteContainerByBotId(botId: string): Promise<boolean>;
  updateContainerStatus(containerId: string, status: ContainerStatus): Promise<ContainerRecord>;
  /** Status `running`, last_started_at now. */
  markContainerStarted(containerId: string): Promise<ContainerRecord>;
  /** Status `stopped`, last_stopped_at now. */
  markContainerStopped(containerId: string): Promise<ContainerRecord>;
  /** The containers to start with the server, most recently updated first. */
  listAutoStartContainers(): Promise<ContainerRecord[]>;
}

const statusSchema = z.enum(CONTAINER_STATUSES);
const upsertSchema = z.strictObject({
  botId: botIdSchema,
  containerId: nameSchema,
  containerName: nameSchema.optional(),
  image: nameSchema,
  status: statusSchema.optional(),
  namespace: nameSchema.optional(),
  autoStart: z.boolean().optional(),
  containerPath: z
    .string()
    .regex(/^\/[^\0]*$/, "must be an absolute path")
    .optional(),
  runtime: nameSchema.nullable().optional(),
  lastStartedAt: z.date().nullable().optional(),
  lastStoppedAt: z.date().nullable().optional(),
});

export function toContainer(row: Selectable<ContainersTable>): ContainerRecord {
  return {
    id: row.id,
    botId: row.bot_id,
    containerId: row.container_id,
    containerName: row.container_name,
    image: row.image,
    status: row.status as ContainerStatus,
    namespace: row.namespace,
    autoStart: readBool(row.auto_start),
    containerPath: row.container_path,
    runtime: row.runtime,
    createdAt: readDate(row.created_at),
    updatedAt: readDate(row.updated_at),
    lastStartedAt: readNullableDate(row.last_started_at),
    lastStoppedAt: readNullableDate(row.last_stopped_at),
  };
}

export function createContainerStore(ctx: StoreContext): ContainerStore {
  const { db } = ctx;
  const optionalDate = (value: Date | null | undefined) =>
    value === undefined ? undefined : value && ctx.timestamp(value);

  async function update(containerId: string, changes: Updateable<ContainersTable>) {
    parseField("containerId", nameSchema, containerId);
    const row = await db
      .updateTable("containers")
      .set({ ...changes, updated_at: ctx.timestamp(new Date()) })
      .where("container_id", "=", containerId)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`container ${containerId} not found`);
    return toContainer(row);
  }

  return {
    async upsertContainer(input) {
      const c = parseInput(upsertSchema, input);
      const now = ctx.timestamp(new Date());
      const changes = {
        container_name: c.containerName,
        image: c.image,
        status: c.status,
        namespace: c.namespace,
        auto_start: c.autoStart === undefined ? undefined : ctx.bool(c.autoStart),
        container_path: c.containerPath,
        runtime: c.runtime,
        last_started_at: optionalDate(c.lastStartedAt),
        last_stopped_at: optionalDate(c.lastStoppedAt),
      };
      const row = await translateViolations(
        () =>
          db
            .insertInto("containers")
            .values({
              id: newId(),
              bot_id: c.botId,
              container_id: c.containerId,
              container_name: c.containerName ?? c.containerId,
              image: c.image,
              status: c.status ?? "created",
              namespace: c.namespace ?? "default",
              auto_start: ctx.bool(c.autoStart ?? true),
              container_path: c.containerPath ?? "/data",
              runtime: c.runtime ?? null,
              created_at: now,
              updated_at: now,
              last_started_at: optionalDate(c.lastStartedAt) ?? null,
              last_stopped_at: optionalDate(c.lastStoppedAt) ?? null,
            })
            .onConflict((oc) =>
              oc
                .column("container_id")
                // Kysely leaves undefined values out of the SET list: omitted fields keep their value.
                .doUpdateSet({ ...changes, updated_at: now })
                .where("containers.bot_id", "=", c.botId),
            )
            .returningAll()
            .executeTakeFirst(),
        {
          unique: (cause) =>
            new ConflictError(`container name ${c.containerName ?? c.containerId} is taken`, { cause }),
          foreign_key: (cause) => new NotFoundError(`bot ${c.botId} not found`, { cause }),
        },
      );
      // No row: the conflict's WHERE failed, i.e. the container id belongs to another bot.
      if (!row) throw new ConflictError(`container ${c.containerId} belongs to another bot`);
      return toContainer(row);
    },

    async getContainer(containerId) {
      parseField("containerId", nameSchema, containerId);
      const row = await db
        .selectFrom("containers")
        .selectAll()
        .where("container_id", "=", containerId)
        .executeTakeFirst();
      return row && toContainer(row);
    },

    async getContainerByBotId(botId) {
      parseField("botId", botIdSchema, botId);
      const row = await db
        .selectFrom("containers")
        .selectAll()
        .where("bot_id", "=", botId)
        .orderBy("updated_at", "desc")
        .orderBy("id", "desc")
        .executeTakeFirst();
      return row && toContainer(row);
    },

    async deleteContainerByBotId(botId) {
      parseField("botId", botIdSchema, botId);
      const result = await db.deleteFrom("containers").where("bot_id", "=", botId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    updateContainerStatus: async (containerId, status) =>
      update(containerId, { status: parseField("status", statusSchema, status) }),
    markContainerStarted: async (containerId) =>
      update(containerId, { status: "running", last_started_at: ctx.timestamp(new Date()) }),
    markContainerStopped: async (containerId) =>
      update(containerId, { status: "stopped", last_stopped_at: ctx.timestamp(new Date()) }),

    async listAutoStartContainers() {
      const rows = await db
        .selectFrom("containers")
        .selectAll()
        .where("auto_start", "=", ctx.bool(true))
        .orderBy("updated_at", "desc")
        .orderBy("id", "desc")
        .execute();
      return rows.map(toContainer);
    },
  };
}
