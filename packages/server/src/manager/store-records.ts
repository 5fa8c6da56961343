import { NotFoundError } from "../errors.js";
import type { Store } from "../store/index.js";
import { containerIdFor } from "./container-state.js";
import type { BotRecord, BotUpdateInput, ManagerRecords, NewBotInput } from "./records.js";

const toBot = (bot: NonNullable<Awaited<ReturnType<Store["getBot"]>>>): BotRecord => ({
  id: bot.id,
  name: bot.displayName,
  createdAt: bot.createdAt,
  network: bot.config.network,
  egress: bot.config.egress,
  isolation: bot.config.isolation,
  limits: bot.config.limits,
  autoStart: bot.config.autoStart,
  ...(bot.config.image ? { image: bot.config.image } : {}),
});

/**
 * A bot's container row is keyed by `mcp-<botId>` (the manager saves it so),
 * and a bot without a row yet has nothing to update or attach an event to:
 * the store's NotFoundError is that case, not a failure.
 */
const ignoreMissingRow = (error: unknown): void => {
  if (!(error instanceof NotFoundError)) throw error;
};

/** The manager's records on top of the database store. */
export function storeRecords(store: Store): ManagerRecords {
  const update = (work: Promise<unknown>) => work.then(() => undefined, ignoreMissingRow);
  return {
    async getBot(botId) {
      const bot = await store.getBot(botId);
      return bot && toBot(bot);
    },
    getContainer: (botId) => store.getContainerByBotId(botId),
    async saveContainer(record) {
      await store.upsertContainer(record);
    },
    setContainerStatus: (botId, status) => update(store.updateContainerStatus(containerIdFor(botId), status)),
    markStarted: (botId) => update(store.markContainerStarted(containerIdFor(botId))),
    markStopped: (botId) => update(store.markContainerStopped(containerIdFor(botId))),
    async deleteContainer(botId) {
      await store.deleteContainerByBotId(botId);
    },
    listAutoStart: () => store.listAutoStartContainers(),
    recordEvent: (containerId, eventType, payload) => update(store.recordEvent({ containerId, eventType, payload })),
  };
}

/** Bot records for the HTTP layer, on top of the database store. */
export function storeBotDirectory(store: Store) {
  return {
    async createBot(input: NewBotInput) {
      const config = {
        ...(input.network ? { network: input.network } : {}),
        ...(input.egress ? { egress: input.egress } : {}),
        ...(input.isolation ? { isolation: input.isolation } : {}),
        ...(input.limits ? { limits: input.limits } : {}),
        ...(input.autoStart === undefined ? {} : { autoStart: input.autoStart }),
        ...(input.image ? { image: input.image } : {}),
      };
      return toBot(await store.createBot({ id: input.id, displayName: input.name, config }));
    },
    async getBot(id: string) {
      const bot = await store.getBot(id);
      return bot && toBot(bot);
    },
    async listBots() {
      return (await store.listBots()).map(toBot);
    },
    async deleteBot(id: string) {
      await store.deleteBot(id);
    },
    async updateBot(id: string, input: BotUpdateInput) {
      const config = {
        ...(input.network ? { network: input.network } : {}),
        ...(input.egress ? { egress: input.egress } : {}),
        ...(input.isolation ? { isolation: input.isolation } : {}),
        ...(input.limits ? { limits: input.limits } : {}),
      };
      return toBot(await store.updateBot(id, { ...(input.name ? { displayName: input.name } : {}), config }));
    },
  };
}

/** Bot-scoped API tokens for the HTTP layer, on top of the database store. */
export function storeTokenDirectory(store: Store) {
  return {
    async createBotToken(botId: string, name: string) {
      if (!(await store.getBot(botId))) throw new NotFoundError(`bot ${botId} not found`);
      const { token, record } = await store.createToken({ name, scope: "bot", botId });
      return { id: record.id, token };
    },
    revokeToken: (id: string) => store.revokeToken(id),
  };
}
