import { type ApiTarget, botRoute, callApi } from "../api-client.js";
import { usageError } from "../help.js";
import { output } from "./output.js";

interface BotView {
  id: string;
  name: string;
  created_at: string;
}

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
  switch (action) {
    case "create": {
      const [name, id] = rest;
      if (!name) throw usageError("bot");
      const allow = flags.allow?.length === 1 && flags.allow[0] === "none" ? [] : flags.allow;
      const egress = allow || flags.deny ? { egress: { ...(allow ? { allow } : {}), deny: flags.deny ?? [] } } : {};
      const body = { name, ...(id ? { id } : {}), ...(flags.network ? { network: flags.network } : {}), ...egress };
      const bot = (await callApi(target, "POST", "/bots", body)) as BotView;
      output(bot, json, () => bot.id);
      return;
    }
    case "show": {
      const [id] = rest;
      if (!id) throw usageError("bot");
      const bot = (await callApi(target, "GET", botRoute(id))) as BotView & {
        network: string;
        egress: { allow: string[] | null; deny: string[] } | null;
        limits: Record<string, number | null>;
      };
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
      const { bots } = (await callApi(target, "GET", "/bots")) as { bots: BotView[] };
      output(bots, json, () => bots.map((bot) => `${bot.id}\t${bot.name}\t${bot.created_at}`).join("\n"));
      return;
    }
    case "start":
    case "stop": {
      const [id] = rest;
      if (!id) throw usageError("bot");
      const route = action === "start" ? "/container" : "/container/stop";
      const state = (await callApi(target, "POST", botRoute(id, route), action === "stop" ? {} : undefined)) as {
        status: string;
      };
      output(state, json, () => `${id}: ${state.status}`);
      return;
    }
    case "rm": {
      if (rest.length === 0) throw usageError("bot");
      for (const id of rest) await callApi(target, "DELETE", botRoute(id));
      return;
    }
    default:
      throw usageError("bot");
  }
}
