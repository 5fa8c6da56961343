import type { FastifyInstance } from "fastify";
import { z } from "zod";

import type { SnapshotService } from "../../manager/index.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

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
    handler: async ({ params, body }) => {
      const result = await snapshots.rollback(params.bot_id, body.version);
      return { version: result.version, snapshot_name: result.snapshotName };
    },
  });
}
