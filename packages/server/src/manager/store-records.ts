import { NotFoundError } from "../errors.js";
import type { Store } from "../store/index.js";
import type { BotRecord, ManagerRecords, NewBotInput } from "./records.js";

const toBot = (bot: NonNullable<Awaited<ReturnType<Store["getBot"]>>>): BotRecord => ({
  id: bot.id,
  name: bot.displayName,
  createdAt: bot.createdAt,
  network: bot.config.network,
  limits: bot.config.limits,
  autoStart: bot.config.autoStart,
});

/** The manager's records on top of the database store. */
export function storeRecords(store: Store): ManagerRecords {
  const containerIdOf = async (botId: string) => (await store.getContainerByBotId(botId))?.containerId;
  return {
    async getBot(botId) {
      const bot = await store.getBot(botId);
      return bot && toBot(bot);
    },
    getContainer: (botId) => store.getContainerByBotId(botId),
    async saveContainer(record) {
      await store.upsertContainer(record);
    },
    async setContainerStatus(botId, status) {
      const containerId = await containerIdOf(botId);
      if (containerId) await store.updateContainerStatus(containerId, status);
    },
    async markStarted(botId) {
      const containerId = await containerIdOf(botId);
      if (containerId) await store.markContainerStarted(containerId);
    },
    async markStopped(botId) {
      const containerId = await containerIdOf(botId);
      if (containerId) await store.markContainerStopped(containerId);
    },
    async deleteContainer(botId) {
      await store.deleteContainerByBotId(botId);
    },
    listAutoStart: () => store.listAutoStartContainers(),
    async recordEvent(containerId, eventType, payload) {
      // Events hang off the container row; before it exists there is nothing to attach to.
      if (await store.getContainer(containerId)) await store.recordEvent({ containerId, eventType, payload });
    },
  };
}

/** Bot records for the HTTP layer, on top of the database store. */
export function storeBotDirectory(store: Store) {
  return {
    async createBot(input: NewBotInput) {
      const config = {
        ...(input.network ? { network: input.network } : {}),
        ...(input.limits ? { limits: input.limits } : {}),
        ...(input.autoStart === undefined ? {} : { autoStart: input.autoStart }),
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
