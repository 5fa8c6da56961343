import type { Bot } from "@botbox/sdk";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";

import { type ApiTarget, CliError } from "../api-client.js";
import { usageError } from "../help.js";
import { api, sdkFor } from "../sdk-client.js";
import { output, table } from "./output.js";

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new CliError(`--env ${JSON.stringify(pair)}: expected NAME=value`);
    env[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return env;
}

/** The bot's tool gateway through the SDK's own client. */
async function withGateway<T>(bot: Bot, work: (client: Client) => Promise<T>): Promise<T> {
  let client: Client;
  try {
    client = await bot.mcp.connect({ name: "botbox-cli", version: "1.0.0" });
  } catch (error) {
    throw new CliError(`mcp: cannot reach the tool gateway of ${bot.id}: ${(error as Error).message}`);
  }
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

/** `botbox mcp add|ls|rm|tools|call`. `command` holds the words after `--`. */
export async function mcpCommand(
  target: ApiTarget,
  args: string[],
  flags: { json: boolean; env: string[]; cwd?: string; command: string[] },
): Promise<number> {
  const [action, botId, name, extra] = args;
  if (!botId) throw usageError("mcp");
  const bot = sdkFor(target).bots.handle(botId);
  switch (action) {
    case "add": {
      const [command, ...commandArgs] = flags.command;
      if (!name || !command) throw usageError("mcp");
      const server = await api(
        "mcp add",
        bot.mcp.servers.put(name, {
          command,
          args: commandArgs,
          env: parseEnv(flags.env),
          ...(flags.cwd ? { cwd: flags.cwd } : {}),
        }),
      );
      output(
        server,
        flags.json,
        () => `${botId}: mcp server ${server.name} saved; its tools are ${server.name}__<tool>`,
      );
      return 0;
    }
    case "ls":
    case "list": {
      const servers = await api("mcp ls", bot.mcp.servers.list());
      output(servers, flags.json, () =>
        table([
          ["NAME", "ENABLED", "COMMAND"],
          ...servers.map((s) => [s.name, String(s.enabled), [s.command, ...s.args].join(" ")]),
        ]),
      );
      return 0;
    }
    case "rm": {
      if (!name) throw usageError("mcp");
      await api("mcp rm", bot.mcp.servers.remove(name));
      return 0;
    }
    case "tools": {
      const { tools } = await withGateway(bot, (client) => client.listTools());
      output(tools, flags.json, () =>
        table(tools.map((tool) => [tool.name, (tool.description ?? "").split("\n")[0]!.slice(0, 100)])),
      );
      return 0;
    }
    case "call": {
      if (!name) throw usageError("mcp");
      let toolArgs: Record<string, unknown> = {};
      if (extra !== undefined) {
        try {
          toolArgs = JSON.parse(extra) as Record<string, unknown>;
        } catch (error) {
          throw new CliError(`mcp call: the arguments must be a JSON object: ${(error as Error).message}`);
        }
        if (typeof toolArgs !== "object" || toolArgs === null || Array.isArray(toolArgs)) {
          throw new CliError("mcp call: the arguments must be a JSON object");
        }
      }
      const result = await withGateway(bot, (client) => client.callTool({ name, arguments: toolArgs }));
      const text = (result.content as { type: string; text?: string }[])
        .map((part) => (part.type === "text" ? (part.text ?? "") : `[${part.type}]`))
        .join("\n");
      output(result, flags.json, () => text);
      return result.isError ? 1 : 0;
    }
    default:
      throw usageError("mcp");
  }
}
