import { DEFAULT_HOME, DEFAULT_URL } from "../config/server-defaults.js";
import type { ApiTarget } from "./api-client.js";

/** One flag of a command, as `util.parseArgs` takes it, with its help. */
export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  /** May be given more than once; the values are collected in order. */
  multiple?: boolean;
  /** The value's placeholder in help, e.g. `N` in `--limit N`. */
  value?: string;
  help: string;
}

export type FlagValue = string | boolean | string[] | undefined;

/** What a command's handler receives. */
export interface CommandContext {
  /** The words after the command's name and before any `--`. */
  args: string[];
  /** The words after `--`: a bot's command line, never botbox's flags. */
  afterSeparator: string[];
  flags: Readonly<Record<string, FlagValue>>;
  /** `--json`: machine-readable output. */
  json: boolean;
  /** The server and token, from flags, environment or files (api-client.ts). */
  target(): Promise<ApiTarget>;
}

export interface CommandSpec {
  name: string;
  group: "server" | "bots" | "workspace";
  summary: string;
  /** Synopsis lines, each without the leading `botbox `. */
  usage: string[];
  flags: Readonly<Record<string, FlagSpec>>;
  /** The exit code; `undefined` leaves the process running (`serve`). */
  run(context: CommandContext): Promise<number | undefined>;
}

/** Flags of every command that talks to a server. */
export const CLIENT_FLAGS: Readonly<Record<string, FlagSpec>> = {
  url: {
    type: "string",
    value: "URL",
    help: `the server (default: BOTBOX_URL, the user's config, ${DEFAULT_URL})`,
  },
  token: {
    type: "string",
    value: "TOKEN",
    help: "the API token (default: BOTBOX_TOKEN, the user's config, <home>/admin-token)",
  },
  home: {
    type: "string",
    value: "DIR",
    help: `a local server's home, to read its admin token (default: BOTBOX_HOME, ${DEFAULT_HOME})`,
  },
};

export const JSON_FLAG: Readonly<Record<string, FlagSpec>> = {
  json: { type: "boolean", help: "print JSON for scripts instead of text" },
};

export const CONFIG_FLAG: Readonly<Record<string, FlagSpec>> = {
  config: { type: "string", value: "FILE", help: "the server's settings (default: ./botbox.toml if present)" },
};

/** Accepted by every command, and by none as a value of its own. */
export const HELP_FLAG: Readonly<Record<string, FlagSpec>> = {
  help: { type: "boolean", short: "h", help: "show this help" },
};

/** A string flag's value, or undefined. */
export const stringFlag = (context: CommandContext, name: string): string | undefined =>
  typeof context.flags[name] === "string" ? (context.flags[name] as string) : undefined;

/** A repeatable flag's values, in order. */
export const listFlag = (context: CommandContext, name: string): string[] =>
  Array.isArray(context.flags[name]) ? (context.flags[name] as string[]) : [];

export const booleanFlag = (context: CommandContext, name: string): boolean => context.flags[name] === true;
