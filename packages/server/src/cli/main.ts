#!/usr/bin/env node
// The `botbox` command: the command table (command-table.ts) drives parsing,
// help and dispatch.
import { BotboxError } from "../errors.js";
import { CliError, resolveApiTarget } from "./api-client.js";
import { parseCommandLine, UsageError } from "./command-line.js";
import { COMMANDS } from "./command-table.js";
import { renderCommandHelp, renderUsage } from "./help.js";

async function main(argv: string[]): Promise<number | undefined> {
  const parsed = parseCommandLine(argv, COMMANDS);
  if (parsed.kind === "usage") {
    (parsed.exitCode === 0 ? process.stdout : process.stderr).write(`${renderUsage(COMMANDS)}\n`);
    return parsed.exitCode;
  }
  if (parsed.kind === "help") {
    process.stdout.write(`${renderCommandHelp(parsed.command)}\n`);
    return 0;
  }
  const { command, args, afterSeparator, flags } = parsed;
  return command.run({
    args,
    afterSeparator,
    flags,
    json: flags.json === true,
    target: () =>
      resolveApiTarget({
        url: flags.url as string | undefined,
        token: flags.token as string | undefined,
        home: flags.home as string | undefined,
      }),
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof CliError || error instanceof BotboxError;
    process.stderr.write(`botbox: ${known ? (error as Error).message : String((error as Error).stack ?? error)}\n`);
    process.exitCode = error instanceof UsageError ? error.exitCode : 1;
  },
);
