import type { FastifyInstance } from "fastify";
import { z } from "zod";

import type { SnapshotService } from "../../manager/index.js";
import { timestamp } from "../api-schemas.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const versionSchema = z
  .object({ version: z.number(), snapshot_name: z.string(), created_at: timestamp })
  .meta({ id: "Version" });

export function snapshotRoutes(app: FastifyInstance, routes: AnyRoute[], snapshots: SnapshotService): void {
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/container/snapshots",
    summary: "Snapshot the bot's writable state (the task is stopped for the commit and started again)",
    params: botParams,
    body: z
      .object({ snapshot_name: z.string().optional(), display_name: z.string().max(200).optional() })
      .strict()
      .default({}),
    status: 201,
    response: z
      .object({
        container_id: z.string(),
        snapshot_name: z.string(),
        snapshotter: z.string(),
        version: z.number(),
        created_at: timestamp,
      })
      .meta({ id: "SnapshotCreated" }),
    handler: async ({ params, body }) => {
      const result = await snapshots.create(params.bot_id, {
        name: body.snapshot_name,
        displayName: body.display_name,
      });
      return {
        container_id: result.containerId,
        snapshot_name: result.snapshotName,
        snapshotter: result.snapshotter,
        version: result.version,
        created_at: result.createdAt,
      };
    },
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/container/snapshots",
    summary: "The bot's snapshots with their source and version",
    params: botParams,
    response: z.object({
      snapshots: z.array(
        z
          .object({
            name: z.string(),
            parent: z.string().nullable(),
            created_at: timestamp,
            source: z.enum(["manual", "pre_exec", "rollback"]).nullable(),
            version: z.number().nullable(),
            display_name: z.string().nullable(),
          })
          .meta({ id: "Snapshot" }),
      ),
    }),
    handler: async ({ params }) => ({
      snapshots: (await snapshots.list(params.bot_id)).map((snapshot) => ({
        name: snapshot.name,
        parent: snapshot.parent,
        created_at: snapshot.createdAt,
        source: snapshot.source,
        version: snapshot.version,
        display_name: snapshot.displayName,
      })),
    }),
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/container/versions",
    summary: "Create a version (a snapshot with the next version number)",
    params: botParams,
    status: 201,
    response: versionSchema,
    handler: async ({ params }) => {
      const result = await snapshots.create(params.bot_id, { source: "pre_exec" });
      return { version: result.version, snapshot_name: result.snapshotName, created_at: result.createdAt };
    },
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/container/versions",
    summary: "The bot's versions, oldest first",
    params: botParams,
    response: z.object({ versions: z.array(versionSchema) }),
    handler: async ({ params }) => ({
      versions: (await snapshots.versions(params.bot_id)).map((version) => ({
        version: version.version,
        snapshot_name: version.runtimeSnapshotName,
        created_at: version.createdAt,
      })),
    }),
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/container/rollback",
    summary: "Put the bot's writable state back to a version",
    params: botParams,
    body: z.object({ version: z.number().int().positive() }).strict(),
    response: z.object({ version: z.number(), snapshot_name: z.string() }).meta({ id: "RolledBack" }),
    handler: async ({ params, body }) => {
      const result = await snapshots.rollback(params.bot_id, body.version);
      return { version: result.version, snapshot_name: result.snapshotName };
    },
  });
}
