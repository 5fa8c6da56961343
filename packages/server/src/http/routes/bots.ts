import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { NotFoundError } from "../../errors.js";
import type { BotManager, BotRecord, NewBotInput } from "../../manager/index.js";
import { botIdSchema, botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

/** Bot records as the HTTP layer needs them; the store implements it. */
export interface BotDirectory {
  createBot(input: NewBotInput): Promise<BotRecord>;
  getBot(id: string): Promise<BotRecord | undefined>;
  listBots(): Promise<BotRecord[]>;
  deleteBot(id: string): Promise<void>;
}

const view = (bot: BotRecord) => ({
  id: bot.id,
  name: bot.name,
  network: bot.network ?? null,
  limits: {
    memory_bytes: bot.limits?.memoryBytes ?? null,
    pids: bot.limits?.pids ?? null,
    cpus: bot.limits?.cpus ?? null,
  },
  auto_start: bot.autoStart,
  created_at: bot.createdAt,
});

const newBotBody = z
  .object({
    id: botIdSchema.optional(),
    name: z.string().min(1).max(200),
    /** "host": outbound network access; "none": an empty network namespace. */
    network: z.enum(["host", "none"]).optional(),
    limits: z
      .object({
        memory_bytes: z
          .number()
          .int()
          .min(16 * 2 ** 20)
          .optional(),
        pids: z.number().int().min(8).optional(),
        cpus: z.number().min(0.01).max(1024).optional(),
      })
      .strict()
      .optional(),
    auto_start: z.boolean().optional(),
  })
  .strict();

export function botRoutes(app: FastifyInstance, routes: AnyRoute[], bots: BotDirectory, manager: BotManager): void {
  addRoute(app, routes, {
    method: "POST",
    url: "/bots",
    summary: "Register a bot (admin); its container is created by POST /bots/:bot_id/container",
    access: "admin",
    body: newBotBody,
    status: 201,
    handler: async ({ body }) => {
      return view(
        await bots.createBot({
          id: body.id,
          name: body.name,
          network: body.network,
          limits: body.limits && {
            memoryBytes: body.limits.memory_bytes,
            pids: body.limits.pids,
            cpus: body.limits.cpus,
          },
          autoStart: body.auto_start,
        }),
      );
    },
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots",
    summary: "List bots (a bot token sees only its own)",
    handler: async (_input, request) => {
      const all = await bots.listBots();
      const principal = request.principal;
      const visible = principal?.kind === "bot" ? all.filter((bot) => bot.id === principal.botId) : all;
      return { bots: visible.map(view) };
    },
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id",
    summary: "One bot",
    params: botParams,
    handler: async ({ params }) => {
      const bot = await bots.getBot(params.bot_id);
      if (!bot) throw new NotFoundError(`bot ${params.bot_id} not found`);
      return view(bot);
    },
  });
  addRoute(app, routes, {
    method: "DELETE",
    url: "/bots/:bot_id",
    summary: "Delete a bot (admin): its container and data go too",
    access: "admin",
    params: botParams,
    status: 204,
    handler: async ({ params }, _request, reply) => {
      if (!(await bots.getBot(params.bot_id))) {
        throw new NotFoundError(`bot ${params.bot_id} not found`);
      }
      await manager.deleteContainer(params.bot_id);
      await bots.deleteBot(params.bot_id);
      return reply.status(204).send();
    },
  });
}
