#!/usr/bin/env node
// The `botbox` command.
import { parseArgs } from "node:util";

import { pino } from "pino";

import { loadConfig } from "../config/index.js";
import { BotboxError } from "../errors.js";
import { CliError, resolveApiTarget, userConfigPath } from "./api-client.js";
import { output } from "./commands/output.js";

// Each command loads only what it needs: `serve` is the one whose start-up
// time matters (a restarted server re-attaches its bots), and the client
// commands should not pay for the server either.
const commands = {
  serve: () => import("./serve.js"),
  bot: () => import("./commands/bot.js"),
  data: () => import("./commands/data.js"),
  exec: () => import("./commands/exec.js"),
  fs: () => import("./commands/fs.js"),
  mcp: () => import("./commands/mcp.js"),
  memory: () => import("./commands/memory.js"),
  skills: () => import("./commands/skills.js"),
  snapshot: () => import("./commands/snapshot.js"),
};

const USAGE = `usage: botbox <command> [options]

server:
  serve [--config botbox.toml]      run the host server (default 127.0.0.1:8080, home ./.botbox)
  doctor [--config botbox.toml]     check what the runtime can do on this machine

bots:
  bot create <name> [id] [--network isolated|none|host] [--allow A]... [--deny A]...
                                    register a bot; --allow/--deny: egress CIDRs or host names
  bot show <id>                     a bot's network, egress rules and limits in force
  bot list | bot rm <id>...         list or delete bots
  bot start <id> | bot stop <id>    create and start a bot's container, or stop it
  exec <bot> -- <command...>        run a command in a bot's workspace

workspace:
  fs ls <bot> [path] [-r] | fs cat <bot> <path> | fs put <bot> <local> <path>
  fs get <bot> <path> [local|-] | fs rm <bot> <path> [-r] | fs mv <bot> <a> <b> | fs mkdir <bot> <path>
  snapshot create <bot> [--name N] | snapshot ls <bot> | snapshot rollback <bot> <version>
  export <bot> [file.tar.gz|-]      /data as a tar.gz (default <bot>-data.tar.gz)
  import <bot> <file.tar.gz|-> [--replace]
  skills ls <bot> | skills add <bot> <SKILL.md|->... | skills rm <bot> <name>...
  memory add <bot> <text|-> | memory search <bot> <query> [--limit N] | memory ls <bot> | memory rm <bot> <id>...
  mcp add <bot> <name> [--env K=V]... [--cwd DIR] -- <command> [args...]
  mcp ls <bot> | mcp rm <bot> <name> | mcp tools <bot> | mcp call <bot> <tool> [json]

client options: --url http://host:port, --token <token>, --json. Defaults: BOTBOX_URL and
BOTBOX_TOKEN, then url and token in ${userConfigPath()}, then
http://127.0.0.1:8080 and the admin token in ./.botbox/admin-token.
Transfers show progress on a terminal.`;

/** A server whose bots share the host's network by default is flagged: that is an opt-in for trusted bots. */
function defaultNetworkCheck(network: string) {
  return network === "host"
    ? {
        name: "default network",
        ok: false,
        detail:
          '[runtime] network = "host": bots reach the host\'s services, the botbox API and each other; use "isolated" unless every bot is trusted',
      }
    : { name: "default network", ok: true, detail: `"${network}" unless a bot asks for another` };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      config: { type: "string" },
      url: { type: "string" },
      token: { type: "string" },
      home: { type: "string" },
      json: { type: "boolean" },
      name: { type: "string" },
      replace: { type: "boolean" },
      env: { type: "string", multiple: true },
      cwd: { type: "string" },
      recursive: { type: "boolean", short: "r" },
      limit: { type: "string" },
      network: { type: "string" },
      allow: { type: "string", multiple: true },
      deny: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
  const separator = argv.indexOf("--");
  // The words after "--" belong to the bot's command, never to botbox.
  const [command, ...rest] =
    separator === -1 ? positionals : positionals.slice(0, positionals.length - (argv.length - separator - 1));
  const afterSeparator = separator === -1 ? [] : argv.slice(separator + 1);
  const flags = values as {
    config?: string;
    url?: string;
    token?: string;
    home?: string;
    json?: boolean;
    name?: string;
    replace?: boolean;
    env?: string[];
    network?: string;
    allow?: string[];
    deny?: string[];
    cwd?: string;
    recursive?: boolean;
    limit?: string;
  };
  const json = flags.json ?? false;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  switch (command) {
    case "serve":
      await (await commands.serve()).serve({ configFile: flags.config });
      return -1;
    case "doctor": {
      const config = await loadConfig({ file: flags.config });
      const { createRuntime } = await commands.serve();
      const checks = [
        ...(await (await createRuntime(config, pino({ level: "silent" }))).doctor()),
        defaultNetworkCheck(config.runtime.network),
      ];
      output(checks, json, () =>
        checks.map((check) => `${check.ok ? "ok  " : "FAIL"} ${check.name}: ${check.detail}`).join("\n"),
      );
      return checks.every((check) => check.ok) ? 0 : 1;
    }
    case "bot":
      await (await commands.bot()).botCommand(await resolveApiTarget(flags), rest, json, flags);
      return 0;
    case "fs":
      await (
        await commands.fs()
      ).fsCommand(await resolveApiTarget(flags), rest, { json, recursive: flags.recursive ?? false });
      return 0;
    case "memory":
      await (await commands.memory()).memoryCommand(await resolveApiTarget(flags), rest, { json, limit: flags.limit });
      return 0;
    case "skills":
      await (await commands.skills()).skillsCommand(await resolveApiTarget(flags), rest, { json });
      return 0;
    case "snapshot":
      await (
        await commands.snapshot()
      ).snapshotCommand(await resolveApiTarget(flags), rest, { json, name: flags.name });
      return 0;
    case "export":
      await (await commands.data()).exportCommand(await resolveApiTarget(flags), rest);
      return 0;
    case "import":
      await (
        await commands.data()
      ).importCommand(await resolveApiTarget(flags), rest, { replace: flags.replace ?? false });
      return 0;
    case "mcp":
      return (await commands.mcp()).mcpCommand(await resolveApiTarget(flags), rest, {
        json,
        env: flags.env ?? [],
        cwd: flags.cwd,
        command: afterSeparator,
      });
    case "exec":
      // parseArgs drops "--"; take the words after it from argv itself.
      return (await commands.exec()).execCommand(await resolveApiTarget(flags), argvAfterCommand(argv, "exec"));
    default:
      throw new CliError(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
  }
}

function argvAfterCommand(argv: string[], command: string): string[] {
  const words = argv.slice(argv.indexOf(command) + 1);
  const result: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === "--") return [...result, ...words.slice(i)];
    if (word === "--json") continue;
    if (["--url", "--token", "--home", "--config"].includes(word)) {
      i++;
      continue;
    }
    result.push(word);
  }
  return result;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof CliError || error instanceof BotboxError;
    process.stderr.write(`botbox: ${known ? (error as Error).message : String((error as Error).stack ?? error)}\n`);
    process.exitCode = 1;
  },
);
