import type { ApiClient } from "../api/client";
import { segment } from "../api/client";
import type { Bot, ContainerState } from "../api/types";

/** A bot with its container's state (the state's error, when asking failed). */
export interface BotRow {
  bot: Bot;
  state?: ContainerState;
  stateError?: unknown;
}

export async function loadBotRows(api: ApiClient): Promise<BotRow[]> {
  const { bots } = await api.json<{ bots: Bot[] }>("GET", "/bots");
  return Promise.all(
    bots.map(async (bot) => {
      try {
        return { bot, state: await api.json<ContainerState>("GET", `/bots/${segment(bot.id)}/container`) };
      } catch (stateError) {
        return { bot, stateError };
      }
    }),
  );
}

/** Creates the container when there is none, else starts its task. */
export function startBot(api: ApiClient, botId: string, state: ContainerState | undefined): Promise<unknown> {
  const base = `/bots/${segment(botId)}/container`;
  return !state || state.status === "missing" ? api.json("POST", base) : api.json("POST", `${base}/start`, {});
}

export function stopBot(api: ApiClient, botId: string): Promise<unknown> {
  return api.json("POST", `/bots/${segment(botId)}/container/stop`, {});
}

/** Deletes the container; with keepData its /data stays for the next one. */
export function removeContainer(api: ApiClient, botId: string, keepData: boolean): Promise<unknown> {
  return api.json("DELETE", `/bots/${segment(botId)}/container?keep_data=${keepData}`);
}

export function deleteBot(api: ApiClient, botId: string): Promise<unknown> {
  return api.json("DELETE", `/bots/${segment(botId)}`);
}
