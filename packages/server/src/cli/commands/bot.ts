import { type ApiTarget, botRoute, callApi, CliError } from "../api-client.js";
import { output } from "./output.js";

interface BotView {
  id: string;
  name: string;
  created_at: string;
}

export async function botCommand(target: ApiTarget, args: string[], json: boolean): Promise<void> {
  const [action, ...rest] = args;
  switch (action) {
    case "create": {
      const [name, id] = rest;
      if (!name) throw new CliError("usage: botbox bot create <name> [id]");
      const bot = (await callApi(target, "POST", "/bots", { name, ...(id ? { id } : {}) })) as BotView;
      output(bot, json, () => bot.id);
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
      if (!id) throw new CliError(`usage: botbox bot ${action} <id>`);
      const route = action === "start" ? "/container" : "/container/stop";
      const state = (await callApi(target, "POST", botRoute(id, route), action === "stop" ? {} : undefined)) as {
        status: string;
      };
      output(state, json, () => `${id}: ${state.status}`);
      return;
    }
    case "rm": {
      if (rest.length === 0) throw new CliError("usage: botbox bot rm <id>...");
      for (const id of rest) await callApi(target, "DELETE", botRoute(id));
      return;
    }
    default:
      throw new CliError("usage: botbox bot create|list|start|stop|rm");
  }
}
