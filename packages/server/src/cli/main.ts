#!/usr/bin/env node
// The `botbox` command.
import { parseArgs } from "node:util";

import { pino } from "pino";

import { loadConfig } from "../config/index.js";
import { BotboxError } from "../errors.js";
import { CliError, resolveApiTarget } from "./api-client.js";
import { botCommand, execCommand, output } from "./commands.js";
import { createRuntime, serve } from "./serve.js";

const USAGE = `usage: botbox <command> [options]

commands:
  serve [--config botbox.toml]      run the host server (default 127.0.0.1:8080, home ./.botbox)
  doctor [--config botbox.toml]     check what the runtime can do on this machine
  bot create <name> [id]            register a bot
  bot list | bot rm <id>...         list or delete bots
  bot start <id> | bot stop <id>    create and start a bot's container, or stop it
  exec <bot> -- <command...>        run a command in a bot's workspace

options for bot and exec: --url http://host:port, --token <token> (or BOTBOX_URL,
BOTBOX_TOKEN; default: the admin token in ./.botbox/admin-token), --json`;

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
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...rest] = positionals;
  const flags = values as { config?: string; url?: string; token?: string; home?: string; json?: boolean };
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  switch (command) {
    case "serve":
      await serve({ configFile: flags.config });
      return -1;
    case "doctor": {
      const config = await loadConfig({ file: flags.config });
      const checks = await createRuntime(config, pino({ level: "silent" })).doctor();
      output(checks, flags.json ?? false, () =>
        checks.map((check) => `${check.ok ? "ok  " : "FAIL"} ${check.name}: ${check.detail}`).join("\n"),
      );
      return checks.every((check) => check.ok) ? 0 : 1;
    }
    case "bot":
      await botCommand(await resolveApiTarget(flags), rest, flags.json ?? false);
      return 0;
    case "exec":
      // parseArgs drops "--"; take the words after it from argv itself.
      return execCommand(await resolveApiTarget(flags), argvAfterCommand(argv, "exec"));
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
