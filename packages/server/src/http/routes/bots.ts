import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { BadRequestError, NotFoundError } from "../../errors.js";
import type { BotManager, BotRecord, NewBotInput } from "../../manager/index.js";
import type { BotUpdateInput } from "../../manager/records.js";
import { type EgressPolicy, MAX_EGRESS_ENTRIES, normaliseEgress } from "../../runtime/egress.js";
import { ISOLATION_MODES, NETWORK_MODES, type NetworkMode } from "../../runtime/runtime.js";
import { timestamp } from "../api-schemas.js";
import { botIdSchema, botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

/** Bot records as the HTTP layer needs them; the store implements it. */
export interface BotDirectory {
  createBot(input: NewBotInput): Promise<BotRecord>;
  updateBot(id: string, input: BotUpdateInput): Promise<BotRecord>;
  getBot(id: string): Promise<BotRecord | undefined>;
  listBots(): Promise<BotRecord[]>;
  deleteBot(id: string): Promise<void>;
}

/** A bot as the API shows it: its settings in force, the server's defaults filled in. */
const view = (bot: BotRecord, manager: BotManager) => {
  const { network, egress, isolation, limits } = manager.settingsOf(bot);
  return {
    id: bot.id,
    name: bot.name,
    network,
    egress: network === "isolated" ? { allow: egress?.allow ?? null, deny: egress?.deny ?? [] } : null,
    isolation,
    limits: {
      memory_bytes: limits.memoryBytes ?? null,
      pids: limits.pids ?? null,
      cpus: limits.cpus ?? null,
      disk_bytes: limits.diskBytes ?? null,
    },
    auto_start: bot.autoStart,
    created_at: bot.createdAt,
  };
};

/** A bot as every route answers it (view above). */
const botSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    network: z.enum(NETWORK_MODES),
    /** The outbound rules of an isolated bot (allow null: the whole internet); null for other networks. */
    egress: z.object({ allow: z.array(z.string()).nullable(), deny: z.array(z.string()) }).nullable(),
    isolation: z.enum(ISOLATION_MODES),
    /** Null where no limit is set. */
    limits: z.object({
      memory_bytes: z.number().nullable(),
      pids: z.number().nullable(),
      cpus: z.number().nullable(),
      disk_bytes: z.number().nullable(),
    }),
    auto_start: z.boolean(),
    created_at: timestamp,
  })
  .meta({ id: "Bot" });

/** An egress list: CIDRs, addresses or host names (runtime/egress.ts checks each). */
const egressList = z.array(z.string().min(1).max(253)).max(MAX_EGRESS_ENTRIES);

const newBotBody = z
  .object({
    id: botIdSchema.optional(),
    name: z.string().min(1).max(200),
    /** "isolated" (default): the internet only; "none": loopback only; "host": the host's network (opt-in). */
    network: z.enum(NETWORK_MODES).optional(),
    /** Outbound rules of an isolated bot: allow (absent: the internet; []: nothing) and deny (wins). */
    egress: z.object({ allow: egressList.nullable().optional(), deny: egressList.optional() }).strict().optional(),
    /** "namespaces" (default) or "gvisor": gVisor's user-space kernel between the bot and the host's. */
    isolation: z.enum(ISOLATION_MODES).optional(),
    limits: z
      .object({
        memory_bytes: z
          .number()
          .int()
          .min(16 * 2 ** 20)
          .optional(),
        pids: z.number().int().min(8).optional(),
        cpus: z.number().min(0.01).max(1024).optional(),
        /** A hard quota on the bot's writable state; refused where the backend cannot enforce one. */
        disk_bytes: z
          .number()
          .int()
          .min(64 * 2 ** 20)
          .optional(),
      })
      .strict()
      .optional(),
    auto_start: z.boolean().optional(),
  })
  .strict();

const botPatchBody = newBotBody.omit({ id: true, auto_start: true }).partial();

/** The checked egress policy of a new bot; 400 naming the entry or the clash with its network. */
function egressOf(
  body: Pick<z.infer<typeof newBotBody>, "egress" | "network">,
  defaultNetwork: NetworkMode,
): EgressPolicy | undefined {
  if (!body.egress) return undefined;
  const network = body.network ?? defaultNetwork;
  if (network !== "isolated")
    throw new BadRequestError(`egress rules apply to network "isolated" only; this bot's network is "${network}"`);
  return normaliseEgress(body.egress);
}

/** 400 for what the server's runtime cannot do: never a setting that is not enforced. */
function checkCapabilities(body: Partial<z.infer<typeof newBotBody>>, manager: BotManager): void {
  if (body.isolation === "gvisor" && !manager.gvisor)
    throw new BadRequestError('isolation "gvisor": this server\'s runtime cannot run gVisor here (see botbox doctor)');
  if (body.limits?.disk_bytes !== undefined && !manager.diskQuota)
    throw new BadRequestError("limits.disk_bytes: this server's runtime cannot enforce a disk quota here");
  const { memory_bytes, pids, cpus } = body.limits ?? {};
  const cgroupLimits = Object.entries({ memory_bytes, pids, cpus }).filter(([, value]) => value !== undefined);
  if (cgroupLimits.length > 0 && !manager.resourceLimits)
    throw new BadRequestError(
      `${cgroupLimits.map(([name]) => `limits.${name}`).join(", ")}: this server's runtime cannot enforce them here (see botbox doctor)`,
    );
}

export function botRoutes(app: FastifyInstance, routes: AnyRoute[], bots: BotDirectory, manager: BotManager): void {
  addRoute(app, routes, {
    method: "POST",
    url: "/bots",
    summary: "Register a bot (admin); its container is created by POST /bots/:bot_id/container",
    access: "admin",
    body: newBotBody,
    status: 201,
    response: botSchema,
    handler: async ({ body }) => {
      const egress = egressOf(body, manager.defaultNetwork);
      checkCapabilities(body, manager);
      return view(
        await bots.createBot({
          id: body.id,
          name: body.name,
          network: body.network,
          egress,
          isolation: body.isolation,
          limits: body.limits && {
            memoryBytes: body.limits.memory_bytes,
            pids: body.limits.pids,
            cpus: body.limits.cpus,
            diskBytes: body.limits.disk_bytes,
          },
          autoStart: body.auto_start,
        }),
        manager,
      );
    },
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots",
    summary: "List bots (a bot token sees only its own)",
    response: z.object({ bots: z.array(botSchema) }),
    handler: async (_input, request) => {
      const all = await bots.listBots();
      const principal = request.principal;
      const visible = principal?.kind === "bot" ? all.filter((bot) => bot.id === principal.botId) : all;
      return { bots: visible.map((bot) => view(bot, manager)) };
    },
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id",
    summary: "One bot",
    params: botParams,
    response: botSchema,
    handler: async ({ params }) => {
      const bot = await bots.getBot(params.bot_id);
      if (!bot) throw new NotFoundError(`bot ${params.bot_id} not found`);
      return view(bot, manager);
    },
  });
  addRoute(app, routes, {
    method: "PATCH",
    url: "/bots/:bot_id",
    summary:
      "Change a stopped bot's name, network, egress rules, isolation or limits (admin); the answer says when they take effect",
    access: "admin",
    params: botParams,
    body: botPatchBody,
    response: botSchema.extend({ takes_effect: z.enum(["next_start", "next_container"]) }).meta({ id: "ChangedBot" }),
    handler: async ({ params, body }) => {
      const current = await bots.getBot(params.bot_id);
      if (!current) throw new NotFoundError(`bot ${params.bot_id} not found`);
      const network = body.network ?? manager.settingsOf(current).network;
      // New rules, or the ones kept, must suit the network the bot ends up with.
      const egress = body.egress ? egressOf({ ...body, network }, network) : undefined;
      checkCapabilities(body, manager);
      const limits = body.limits && {
        ...current.limits,
        ...Object.fromEntries(
          Object.entries({
            memoryBytes: body.limits.memory_bytes,
            pids: body.limits.pids,
            cpus: body.limits.cpus,
            diskBytes: body.limits.disk_bytes,
          }).filter(([, value]) => value !== undefined),
        ),
      };
      const changes = {
        ...(body.name ? { name: body.name } : {}),
        ...(body.network ? { network: body.network } : {}),
        ...(egress ? { egress } : {}),
        ...(body.isolation ? { isolation: body.isolation } : {}),
        ...(limits ? { limits } : {}),
      };
      const { bot, takesEffect } = await manager.changeSettings({ ...current, ...changes }, () =>
        bots.updateBot(params.bot_id, changes),
      );
      return { ...view(bot, manager), takes_effect: takesEffect };
    },
  });
  addRoute(app, routes, {
    method: "DELETE",
    url: "/bots/:bot_id",
    summary: "Delete a bot (admin): its container and data go too",
    access: "admin",
    params: botParams,
    status: 204,
    response: { kind: "no-content", description: "deleted" },
    handler: async ({ params }, _request, reply) => {
      if (!(await bots.getBot(params.bot_id))) {
        throw new NotFoundError(`bot ${params.bot_id} not found`);
      }
      // For good: data kept by an earlier DELETE …/container?keep_data=true goes too.
      await manager.deleteContainer(params.bot_id, { discardKeptData: true });
      await bots.deleteBot(params.bot_id);
      return reply.status(204).send();
    },
  });
}
