import type { Selectable } from "kysely";
import { z } from "zod";

import { BadRequestError, NotFoundError } from "../errors.js";
import { readDate, readJson, type StoreContext } from "./context.js";
import { translateViolations } from "./db-errors.js";
import { newId } from "./ids.js";
import type { LifecycleEventsTable } from "./schema.js";
import { nameSchema, parseField, parseInput } from "./validation.js";

export interface EventRecord {
  id: string;
  containerId: string;
  /** e.g. `snapshot_create`, `version_rollback`, `agent_restart`. */
  eventType: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export interface NewEvent {
  containerId: string;
  eventType: string;
  payload?: Record<string, unknown>;
}

export interface ListEventsOptions {
  /** At most this many events, newest first. Default 100, at most 1000. */
  limit?: number;
}

export interface EventsSinceOptions {
  /** Only events recorded after this event id; absent: the latest `limit` events. */
  afterId?: string;
  /** Only this container's events; absent: every container's. */
  containerId?: string;
  /** At most this many events. Default 100, at most 1000. */
  limit?: number;
}

export interface EventStore {
  recordEvent(input: NewEvent): Promise<EventRecord>;
  /** The container's latest events, newest first. */
  listEvents(containerId: string, options?: ListEventsOptions): Promise<EventRecord[]>;
  /** Events oldest first, as a stream replays them (GET /events): after an id, or the latest ones. */
  listEventsSince(options?: EventsSinceOptions): Promise<EventRecord[]>;
  /** Whether an event with this id is recorded (a replay can start after it). */
  hasEvent(id: string): Promise<boolean>;
}

/** A payload is a small record of facts, not a place for logs or file contents. */
const MAX_PAYLOAD_BYTES = 64 * 1024;

const newEventSchema = z.strictObject({
  containerId: nameSchema,
  eventType: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be 1 to 64 letters, digits, '_', '.', ':' or '-'"),
  payload: z.record(z.string(), z.unknown()).optional(),
});
/** An event id as ids.ts makes them. */
const eventIdSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be an event id");
const sinceOptionsSchema = z.strictObject({
  afterId: eventIdSchema.optional(),
  containerId: nameSchema.optional(),
  limit: z.int().min(1, "must be at least 1").max(1000, "must be at most 1000").optional(),
});
const listOptionsSchema = z.strictObject({
  limit: z.int().min(1, "must be at least 1").max(1000, "must be at most 1000").optional(),
});

function toEvent(row: Selectable<LifecycleEventsTable>): EventRecord {
  return {
    id: row.id,
    containerId: row.container_id,
    eventType: row.event_type,
    payload: readJson(row.payload) as Record<string, unknown>,
    createdAt: readDate(row.created_at),
  };
}

function encodePayload(payload: Record<string, unknown>): string {
  let text: string;
  try {
    text = JSON.stringify(payload);
  } catch (error) {
    throw new BadRequestError(`payload: not serialisable as JSON (${(error as Error).message})`, { cause: error });
  }
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
    throw new BadRequestError(`payload: must be at most ${MAX_PAYLOAD_BYTES} bytes as JSON`);
  }
  return text;
}

export function createEventStore(ctx: StoreContext): EventStore {
  const { db } = ctx;
  return {
    async recordEvent(input) {
      const event = parseInput(newEventSchema, input);
      const row = await translateViolations(
        () =>
          db
            .insertInto("lifecycle_events")
            .values({
              id: newId(),
              container_id: event.containerId,
              event_type: event.eventType,
              payload: encodePayload(event.payload ?? {}),
              created_at: ctx.timestamp(new Date()),
            })
            .returningAll()
            .executeTakeFirstOrThrow(),
        { foreign_key: (cause) => new NotFoundError(`container ${event.containerId} not found`, { cause }) },
      );
      return toEvent(row);
    },

    async listEvents(containerId, options = {}) {
      parseField("containerId", nameSchema, containerId);
      const { limit = 100 } = parseInput(listOptionsSchema, options);
      const rows = await db
        .selectFrom("lifecycle_events")
        .selectAll()
        .where("container_id", "=", containerId)
        // Ids are time-ordered (ids.ts), which orders events recorded within one millisecond.
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(limit)
        .execute();
      return rows.map(toEvent);
    },

    async listEventsSince(options = {}) {
      const { afterId, containerId, limit = 100 } = parseInput(sinceOptionsSchema, options);
      let query = db.selectFrom("lifecycle_events").selectAll();
      if (containerId !== undefined) query = query.where("container_id", "=", containerId);
      // Ids are time-ordered UUIDv7s (ids.ts): "after an id" is a comparison of the ids.
      if (afterId !== undefined) {
        const rows = await query.where("id", ">", afterId).orderBy("id", "asc").limit(limit).execute();
        return rows.map(toEvent);
      }
      const rows = await query.orderBy("id", "desc").limit(limit).execute();
      return rows.map(toEvent).reverse();
    },

    async hasEvent(id) {
      if (!eventIdSchema.safeParse(id).success) return false;
      const row = await db.selectFrom("lifecycle_events").select("id").where("id", "=", id).executeTakeFirst();
      return row !== undefined;
    },
  };
}
