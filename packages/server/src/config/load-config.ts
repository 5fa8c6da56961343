import { readFile } from "node:fs/promises";
import path from "node:path";

import { parse as parseToml } from "smol-toml";
import { type z } from "zod";

import { BadRequestError } from "../errors.js";
import { isProcessVariable } from "./environment.js";
import { RETIRED_KEYS } from "./retired-keys.js";
import { type BotboxConfig, configSchema } from "./schema.js";
import { ENV_ALIASES, listSettings } from "./settings.js";

export class ConfigError extends BadRequestError {}

export interface LoadConfigOptions {
  /** A botbox.toml; when absent, `botbox.toml` in the working folder is used if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Told about keys that are accepted but ignored; default: a line on stderr. */
  onWarning?: (message: string) => void;
}

/** Where a setting's value came from. */
export type SettingSource =
  { kind: "default" } | { kind: "unset" } | { kind: "file"; file: string } | { kind: "env"; variable: string };

export interface LoadedConfig {
  config: BotboxConfig;
  /** By `section.key`, every key of the schema. */
  sources: Record<string, SettingSource>;
  /** Retired keys that were given and ignored (retired-keys.ts). */
  warnings: string[];
}

/**
 * Reads botbox.toml, then lets the environment override any key
 * (`BOTBOX_<SECTION>_<KEY>`, e.g. BOTBOX_MCP_IMAGE). A bad value fails with
 * the key that holds it.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<BotboxConfig> {
  const { config, warnings } = await loadConfigWithSources(options);
  const warn = options.onWarning ?? ((message: string) => process.stderr.write(`botbox: warning: ${message}\n`));
  for (const warning of warnings) warn(warning);
  return config;
}

/** loadConfig, and where each value came from: what `botbox config print` shows. */
export async function loadConfigWithSources(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const { raw, file } = await readTomlFile(options.file);
  const sources: Record<string, SettingSource> = {};
  for (const [section, keys] of Object.entries(raw)) {
    if (typeof keys !== "object" || keys === null) continue;
    for (const key of Object.keys(keys)) sources[`${section}.${key}`] = { kind: "file", file: file! };
  }
  for (const [variable, section, key] of applyEnv(raw, env)) sources[`${section}.${key}`] = { kind: "env", variable };
  const warnings = dropRetiredKeys(raw, sources);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const config = parsed.data;
  config.server.home = path.resolve(config.server.home);
  const values = config as unknown as Record<string, Record<string, unknown>>;
  const complete: Record<string, SettingSource> = {};
  for (const setting of listSettings()) {
    complete[setting.path] =
      sources[setting.path] ??
      (values[setting.section]?.[setting.key] === undefined ? { kind: "unset" } : { kind: "default" });
  }
  return { config, sources: complete, warnings };
}

async function readTomlFile(file: string | undefined): Promise<{ raw: Record<string, unknown>; file?: string }> {
  const target = file ?? "botbox.toml";
  let text: string;
  try {
    text = await readFile(target, "utf8");
  } catch (error) {
    if (file === undefined && (error as NodeJS.ErrnoException).code === "ENOENT") return { raw: {} };
    throw new ConfigError(`cannot read config file ${target}: ${(error as Error).message}`);
  }
  try {
    return { raw: parseToml(text) as Record<string, unknown>, file: path.resolve(target) };
  } catch (error) {
    throw new ConfigError(`config file ${target} is not valid TOML: ${(error as Error).message}`);
  }
}

/** Sets the keys the environment names; answers [variable, section, key] for each. */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): [string, string, string][] {
  const applied: [string, string, string][] = [];
  const sectionNames = Object.keys(configSchema.shape).sort((a, b) => b.length - a.length);
  const set = (variable: string, section: string, key: string, value: string) => {
    const current = raw[section];
    const target = (typeof current === "object" && current !== null ? current : {}) as Record<string, unknown>;
    target[key] = value;
    raw[section] = target;
    applied.push([variable, section, key]);
  };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === "" || isProcessVariable(name)) continue;
    const alias = ENV_ALIASES[name];
    if (alias) {
      set(name, alias[0], alias[1], value);
      continue;
    }
    // The longest section first: BOTBOX_MCP_STDIO_X is [mcp_stdio] x, not [mcp] stdio_x.
    const section = sectionNames.find((candidate) => name.startsWith(`BOTBOX_${candidate.toUpperCase()}_`));
    if (!section) continue;
    const key = name.slice(`BOTBOX_${section}_`.length).toLowerCase();
    if (/^[a-z0-9_]+$/.test(key)) set(name, section, key, value);
  }
  return applied;
}

function dropRetiredKeys(raw: Record<string, unknown>, sources: Record<string, SettingSource>): string[] {
  const warnings: string[] = [];
  for (const [retired, instead] of Object.entries(RETIRED_KEYS)) {
    const [section, key] = retired.split(".") as [string, string];
    const values = raw[section] as Record<string, unknown> | undefined;
    if (typeof values !== "object" || values === null || !(key in values)) continue;
    delete values[key];
    const source = sources[retired];
    const where =
      source?.kind === "env" ? ` (from ${source.variable})` : source?.kind === "file" ? ` (in ${source.file})` : "";
    warnings.push(`[${section}] ${key}${where} is no longer read and is ignored: ${instead}`);
    delete sources[retired];
  }
  return warnings;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "config"}: ${issue.message}`).join("; ");
}
