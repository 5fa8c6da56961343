import type { CreateBotOptions } from "@botbox/sdk";

import type { ApiTarget } from "../api-client.js";
import { usageError } from "../help.js";
import { api, sdkFor } from "../sdk-client.js";
import { output } from "./output.js";

export interface BotCreateFlags {
  network?: string;
  /** Egress entries; `--allow none` alone means an empty allow-list (nothing outside). */
  allow?: string[];
  deny?: string[];
}

export async function botCommand(
  target: ApiTarget,
  args: string[],
  json: boolean,
  flags: BotCreateFlags = {},
): Promise<void> {
  const [action, ...rest] = args;
  const box = sdkFor(target);
  switch (action) {
    case "create": {
      const [name, id] = rest;
      if (!name) throw usageError("bot");
      const allow = flags.allow?.length === 1 && flags.allow[0] === "none" ? [] : flags.allow;
      const egress = allow || flags.deny ? { egress: { ...(allow ? { allow } : {}), deny: flags.deny ?? [] } } : {};
      const body = { name, ...(id ? { id } : {}), ...(flags.network ? { network: flags.network } : {}), ...egress };
      const { info: bot } = await api("bot create", box.bots.create(body as CreateBotOptions));
      output(bot, json, () => bot.id);
      return;
    }
    case "show": {
      const [id] = rest;
      if (!id) throw usageError("bot");
      const bot = await api(`bot show ${id}`, box.bots.handle(id).refresh());
      output(bot, json, () =>
        [
          `id\t${bot.id}`,
          `name\t${bot.name}`,
          `network\t${bot.network}`,
          ...(bot.egress
            ? [
                `allow\t${bot.egress.allow === null ? "(the internet)" : bot.egress.allow.join(" ") || "(nothing)"}`,
                `deny\t${bot.egress.deny.join(" ")}`,
              ]
            : []),
          ...Object.entries(bot.limits).map(([key, value]) => `${key}\t${value ?? "none"}`),
        ].join("\n"),
      );
      return;
    }
    case "list":
    case "ls": {
      const bots = (await api("bot list", box.bots.list())).map((bot) => bot.info);
      output(bots, json, () => bots.map((bot) => `${bot.id}\t${bot.name}\t${bot.created_at}`).join("\n"));
      return;
    }
    case "start":
    case "stop": {
      const [id] = rest;
      if (!id) throw usageError("bot");
      const bot = box.bots.handle(id);
      const state = await api(`bot ${action} ${id}`, action === "start" ? bot.start() : bot.stop());
      output(state, json, () => `${id}: ${state.status}`);
      return;
    }
    case "rm": {
      if (rest.length === 0) throw usageError("bot");
      for (const id of rest) await api(`bot rm ${id}`, box.bots.delete(id));
      return;
    }
    default:
      throw usageError("bot");
  }
}
