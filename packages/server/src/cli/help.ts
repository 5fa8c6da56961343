import { DEFAULT_HOME, DEFAULT_URL } from "../config/server-defaults.js";
import { userConfigPath } from "./api-client.js";
import { UsageError } from "./command-line.js";
import { type CommandSpec, HELP_FLAG } from "./command-spec.js";
import { COMMANDS } from "./command-table.js";

const GROUP_TITLES: Record<CommandSpec["group"], string> = {
  server: "server",
  bots: "bots",
  workspace: "a bot's workspace",
};

/** `botbox help`: every command of the table, one line each, by group. */
export function renderUsage(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((command) => command.name.length)) + 2;
  const lines = ["usage: botbox <command> [options]"];
  for (const group of Object.keys(GROUP_TITLES) as CommandSpec["group"][]) {
    lines.push("", `${GROUP_TITLES[group]}:`);
    for (const command of commands.filter((candidate) => candidate.group === group)) {
      lines.push(`  ${command.name.padEnd(width)}${command.summary}`);
    }
  }
  lines.push(
    "",
    'Run "botbox help <command>" or "botbox <command> --help" for its usage and flags.',
    "Client commands find the server in --url/--token, then BOTBOX_URL and BOTBOX_TOKEN,",
    `then url and token in ${userConfigPath()}, then ${DEFAULT_URL}`,
    `and the admin token in ${DEFAULT_HOME}/admin-token. Transfers show progress on a terminal.`,
  );
  return lines.join("\n");
}

/** `botbox help <command>`: its synopsis and every flag it takes. */
export function renderCommandHelp(command: CommandSpec): string {
  const flags = Object.entries({ ...command.flags, ...HELP_FLAG }).map(([name, flag]) => [
    `--${name}${flag.value ? ` ${flag.value}` : ""}${flag.short ? `, -${flag.short}` : ""}${flag.multiple ? " (repeatable)" : ""}`,
    flag.help,
  ]);
  const width = Math.max(...flags.map(([left]) => left!.length)) + 2;
  return [
    `botbox ${command.name}: ${command.summary}`,
    "",
    "usage:",
    ...command.usage.map((line) => `  botbox ${line}`),
    "",
    "flags:",
    ...flags.map(([left, help]) => `  ${left!.padEnd(width)}${help}`),
  ].join("\n");
}

/**
 * A command used wrongly: its synopsis from the table, so a handler's error
 * and `botbox help <command>` never disagree. Exit code 2.
 */
export function usageError(name: string, problem?: string): UsageError {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  const synopsis = (command?.usage ?? []).map((line, index) => `${index === 0 ? "usage:" : "      "} botbox ${line}`);
  return new UsageError([...(problem ? [problem] : []), ...synopsis].join("\n"));
}
