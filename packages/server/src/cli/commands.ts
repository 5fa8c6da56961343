import { type ApiTarget, callApi, CliError } from "./api-client.js";

/** Prints a value for people, or as JSON for scripts. */
export function output(value: unknown, json: boolean, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

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
      const state = (await callApi(
        target,
        "POST",
        `/bots/${encodeURIComponent(id)}${route}`,
        action === "stop" ? {} : undefined,
      )) as {
        status: string;
      };
      output(state, json, () => `${id}: ${state.status}`);
      return;
    }
    case "rm": {
      if (rest.length === 0) throw new CliError("usage: botbox bot rm <id>...");
      for (const id of rest) await callApi(target, "DELETE", `/bots/${encodeURIComponent(id)}`);
      return;
    }
    default:
      throw new CliError("usage: botbox bot create|list|start|stop|rm");
  }
}

/**
 * One argument is a shell command line as typed (`botbox exec b -- 'ls | wc'`);
 * several are words, quoted so the shell sees each as one.
 */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `botbox exec <bot> -- <command...>`: streams output and exits with the command's code. */
export async function execCommand(target: ApiTarget, args: string[]): Promise<number> {
  const separator = args.indexOf("--");
  const botId = args[0];
  const command = separator === -1 ? args.slice(1) : args.slice(separator + 1);
  if (!botId || command.length === 0) throw new CliError("usage: botbox exec <bot> -- <command...>");
  const response = await fetch(`${target.url}/bots/${encodeURIComponent(botId)}/container/exec/stream`, {
    method: "POST",
    headers: { authorization: `Bearer ${target.token}`, "content-type": "application/json" },
    body: JSON.stringify({ command: command.length === 1 ? command[0] : command.map(shellQuote).join(" ") }),
  }).catch((error: Error) => {
    throw new CliError(`cannot reach botbox at ${target.url}: ${String(error.cause ?? error.message)}`);
  });
  if (!response.ok || !response.body) {
    const text = await response.text();
    const message = (JSON.parse(text || "{}") as { error?: { message?: string } }).error?.message ?? text;
    throw new CliError(`exec: ${response.status} ${message}`);
  }
  let pending = "";
  let exitCode = 1;
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) !== -1) {
      const event = JSON.parse(pending.slice(0, newline)) as {
        type: string;
        data?: string;
        exit_code?: number;
        message?: string;
      };
      pending = pending.slice(newline + 1);
      if (event.type === "stdout") process.stdout.write(event.data ?? "");
      else if (event.type === "stderr") process.stderr.write(event.data ?? "");
      else if (event.type === "exit") exitCode = event.exit_code ?? 1;
      else if (event.type === "error") throw new CliError(`exec: ${event.message}`);
    }
  }
  return exitCode;
}
