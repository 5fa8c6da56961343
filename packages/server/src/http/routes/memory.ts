import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { type BuiltinMemoryRuntime, type MemoryItem } from "../../memory/index.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const MAX_LIMIT = 1000;
const memoryParams = botParams.extend({ memory_id: z.string().min(1).max(512) });
const memoryIdList = z.array(z.string().min(1).max(512)).min(1).max(MAX_LIMIT);
const filters = z.record(z.string(), z.unknown());

const addBody = z
  .object({
    message: z.string().optional(),
    messages: z
      .array(z.object({ role: z.string().optional(), content: z.string() }).strict())
      .max(MAX_LIMIT)
      .optional(),
    filters: filters.optional(),
  })
  .strict()
  .refine((body) => body.message !== undefined || body.messages !== undefined, "message or messages is required");

const updateBody = z
  .object({ text: z.string().optional(), memory: z.string().optional() })
  .strict()
  .refine((body) => (body.text === undefined) !== (body.memory === undefined), "give text (or its alias memory)");

const memorySchema = z
  .object({
    id: z.string(),
    /** The memory's text. */
    memory: z.string(),
    /** sha256 hex of the text. */
    hash: z.string(),
    /** RFC 3339. */
    created_at: z.string(),
    updated_at: z.string(),
    bot_id: z.string(),
    /** A search's relevance, in search answers only. */
    score: z.number().optional(),
  })
  .meta({ id: "Memory" });
const memoryListSchema = z.object({ results: z.array(memorySchema) }).meta({ id: "MemoryList" });
const deletedSchema = z.object({ deleted: z.number() }).meta({ id: "DeletedCount" });

/** A memory on the wire: the original's field names, `memory` being the text. */
function view(item: MemoryItem, botId: string, score?: number) {
  return {
    id: item.id,
    memory: item.text,
    hash: item.hash,
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    bot_id: botId,
    ...(score === undefined ? {} : { score }),
  };
}

/** The builtin memory runtime over the bot's memory files (docs/reference.md#memory-files). */
export function memoryRoutes(app: FastifyInstance, routes: AnyRoute[], runtime: BuiltinMemoryRuntime): void {
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/memory",
    summary: "Add a memory: `message`, or `messages` joined as `[ROLE] content` lines; returns it",
    params: botParams,
    body: addBody,
    status: 201,
    response: memorySchema,
    handler: async ({ params, body }) => view(await runtime.add(params.bot_id, body), params.bot_id),
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/memory",
    summary: "The bot's memories, most recently updated first",
    params: botParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(100) }).strict(),
    response: memoryListSchema,
    handler: async ({ params, query }) => ({
      results: (await runtime.getAll(params.bot_id, query.limit)).map((item) => view(item, params.bot_id)),
    }),
  });
  addRoute(app, routes, {
    method: "DELETE",
    url: "/bots/:bot_id/memory",
    summary: "Delete all of the bot's memories; returns how many there were",
    params: botParams,
    response: deletedSchema,
    handler: async ({ params }) => ({ deleted: await runtime.deleteAll(params.bot_id) }),
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/memory/search",
    summary: "Memories matching a query (whole query, else the share of its words), best first",
    params: botParams,
    body: z
      .object({
        query: z.string().max(10_000).default(""),
        limit: z.number().int().min(1).max(MAX_LIMIT).default(10),
      })
      .strict(),
    response: memoryListSchema,
    handler: async ({ params, body }) => ({
      results: (await runtime.search(params.bot_id, body.query, body.limit)).map((item) =>
        view(item, params.bot_id, item.score),
      ),
    }),
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/memory/delete",
    summary: "Delete memories by ID; IDs the bot does not have are skipped. Returns how many were deleted",
    params: botParams,
    body: z.object({ ids: memoryIdList }).strict(),
    response: deletedSchema,
    handler: async ({ params, body }) => ({ deleted: await runtime.deleteBatch(params.bot_id, body.ids) }),
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/memory/compact",
    summary: "Keep the newest floor(n·ratio) memories (at least one), ratio in (0, 1]",
    params: botParams,
    body: z
      .object({
        ratio: z.number().gt(0, "must be in range (0, 1]").lte(1, "must be in range (0, 1]"),
        filters: filters.optional(),
      })
      .strict(),
    response: z
      .object({
        before_count: z.number(),
        after_count: z.number(),
        ratio: z.number(),
        results: z.array(memorySchema),
      })
      .meta({ id: "MemoryCompaction" }),
    handler: async ({ params, body }) => {
      const result = await runtime.compact(params.bot_id, body.ratio, body.filters);
      return {
        before_count: result.beforeCount,
        after_count: result.afterCount,
        ratio: result.ratio,
        results: result.results.map((item) => view(item, params.bot_id)),
      };
    },
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/memory/usage",
    summary: "How many memories the bot has and how many bytes of text",
    params: botParams,
    response: z
      .object({
        count: z.number(),
        total_text_bytes: z.number(),
        avg_text_bytes: z.number(),
        estimated_storage_bytes: z.number(),
      })
      .meta({ id: "MemoryUsage" }),
    handler: async ({ params }) => {
      const usage = await runtime.usage(params.bot_id);
      return {
        count: usage.count,
        total_text_bytes: usage.totalTextBytes,
        avg_text_bytes: usage.avgTextBytes,
        estimated_storage_bytes: usage.estimatedStorageBytes,
      };
    },
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/memory/rebuild",
    summary: "Rebuild the memory index and MEMORY.md from the memory files",
    params: botParams,
    response: z
      .object({
        fs_count: z.number(),
        /** Always 0: no vector store in the builtin provider; kept for the original's clients. */
        qdrant_count: z.number(),
        missing_count: z.number(),
        restored_count: z.number(),
      })
      .meta({ id: "MemoryRebuild" }),
    handler: async ({ params }) => ({
      fs_count: await runtime.rebuild(params.bot_id),
      // No vector store in the builtin provider (the original's Qdrant).
      qdrant_count: 0,
      missing_count: 0,
      restored_count: 0,
    }),
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/memory/:memory_id",
    summary: "One memory; another bot's memory ID is not found",
    params: memoryParams,
    response: memorySchema,
    handler: async ({ params }) => view(await runtime.get(params.bot_id, params.memory_id), params.bot_id),
  });
  addRoute(app, routes, {
    method: "PUT",
    url: "/bots/:bot_id/memory/:memory_id",
    summary: "Replace a memory's text (`text`, or its alias `memory`); its ID and created_at stay",
    params: memoryParams,
    body: updateBody,
    response: memorySchema,
    handler: async ({ params, body }) => {
      const text = body.text ?? body.memory ?? "";
      return view(await runtime.update(params.bot_id, params.memory_id, text), params.bot_id);
    },
  });
  addRoute(app, routes, {
    method: "DELETE",
    url: "/bots/:bot_id/memory/:memory_id",
    summary: "Delete one memory",
    params: memoryParams,
    response: deletedSchema,
    handler: async ({ params }) => {
      await runtime.delete(params.bot_id, params.memory_id);
      return { deleted: 1 };
    },
  });
}
