import { parseArgs, type ParseArgsConfig } from "node:util";

import { CliError } from "./api-client.js";
import { type CommandSpec, type FlagSpec, type FlagValue, HELP_FLAG } from "./command-spec.js";

/** A command line botbox cannot make sense of: exit code 2, as common CLIs do. */
export class UsageError extends CliError {
  readonly exitCode = 2;
}

export type ParsedCommandLine =
  | { kind: "usage"; exitCode: number }
  | { kind: "help"; command: CommandSpec }
  | {
      kind: "run";
      command: CommandSpec;
      args: string[];
      afterSeparator: string[];
      flags: Record<string, FlagValue>;
    };

type ParseOptions = NonNullable<ParseArgsConfig["options"]>;

function parseOptions(flags: Readonly<Record<string, FlagSpec>>): ParseOptions {
  return Object.fromEntries(
    Object.entries(flags).map(([name, flag]) => [
      name,
      { type: flag.type, ...(flag.short ? { short: flag.short } : {}), ...(flag.multiple ? { multiple: true } : {}) },
    ]),
  );
}

const flagList = (flags: Readonly<Record<string, FlagSpec>>) =>
  Object.entries(flags)
    .map(([name, flag]) => `--${name}${flag.short ? ` (-${flag.short})` : ""}`)
    .join(", ");

/**
 * Reads `botbox [flags] <command> [words and flags] [-- bot's command]`
 * against the command table. Flags may come before or after the command
 * name; each command takes only its own (strict `util.parseArgs`), so a
 * misspelt or misplaced flag is an error naming it, never silently dropped.
 */
export function parseCommandLine(argv: string[], commands: readonly CommandSpec[]): ParsedCommandLine {
  const separator = argv.indexOf("--");
  const own = separator === -1 ? argv : argv.slice(0, separator);
  const afterSeparator = separator === -1 ? [] : argv.slice(separator + 1);

  // First pass: find the command's name, knowing every command's flags so
  // that a flag's value before the name is not taken for it.
  const everyFlag: Record<string, FlagSpec> = { ...HELP_FLAG };
  for (const command of commands) Object.assign(everyFlag, command.flags);
  const { tokens } = parseArgs({
    args: own,
    options: parseOptions(everyFlag),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const nameToken = tokens.find((token) => token.kind === "positional");
  for (const token of tokens) {
    if (nameToken && token.index > nameToken.index) break;
    if (token.kind === "option" && !(token.name in everyFlag)) {
      throw new UsageError(`unknown flag ${token.rawName}; run "botbox help" for the commands and their flags`);
    }
  }
  const helpAsked = tokens.some((token) => token.kind === "option" && token.name === "help");
  if (!nameToken || nameToken.kind !== "positional") return { kind: "usage", exitCode: helpAsked ? 0 : 2 };

  const find = (name: string) => commands.find((command) => command.name === name);
  const unknown = (name: string) =>
    new UsageError(
      `unknown command ${JSON.stringify(name)}; the commands are ${commands.map((command) => command.name).join(", ")} (botbox help)`,
    );
  if (nameToken.value === "help") {
    const topic = tokens.find((token) => token.kind === "positional" && token.index > nameToken.index);
    if (!topic || topic.kind !== "positional") return { kind: "usage", exitCode: 0 };
    const command = find(topic.value);
    if (!command) throw unknown(topic.value);
    return { kind: "help", command };
  }
  const command = find(nameToken.value);
  if (!command) throw unknown(nameToken.value);

  // Second pass: the command's own flags only, strictly.
  const rest = [...own.slice(0, nameToken.index), ...own.slice(nameToken.index + 1)];
  const allowed = { ...command.flags, ...HELP_FLAG };
  const loose = parseArgs({
    args: rest,
    options: parseOptions(allowed),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of loose.tokens) {
    if (token.kind !== "option" || token.name in allowed) continue;
    const owners = commands.filter((other) => token.name in other.flags).map((other) => other.name);
    throw new UsageError(
      `${command.name}: unknown flag ${token.rawName}` +
        (owners.length > 0 ? ` (a flag of ${owners.join(", ")})` : "") +
        `; its flags are ${flagList(command.flags) || "none"}` +
        (command.name === "exec" || command.name === "mcp" ? `; a bot's own command goes after "--"` : "") +
        ` (botbox help ${command.name})`,
    );
  }
  if (loose.values.help === true) return { kind: "help", command };
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: parseOptions(allowed), strict: true, allowPositionals: true });
  } catch (error) {
    // A string flag without its value, or a boolean given one.
    throw new UsageError(`${command.name}: ${(error as Error).message} (botbox help ${command.name})`);
  }
  return {
    kind: "run",
    command,
    args: parsed.positionals,
    afterSeparator,
    flags: parsed.values as Record<string, FlagValue>,
  };
}
