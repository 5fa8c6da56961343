import { readFile } from "node:fs/promises";
import path from "node:path";

import { parse as parseToml } from "smol-toml";
import { type z } from "zod";

import { BadRequestError } from "../errors.js";
import { type BotboxConfig, configSchema } from "./schema.js";

/** Short names people expect, besides the BOTBOX_<SECTION>_<KEY> form. */
const ENV_ALIASES: Record<string, [string, string]> = {
  BOTBOX_HOST: ["server", "host"],
  BOTBOX_PORT: ["server", "port"],
  BOTBOX_HOME: ["server", "home"],
  BOTBOX_ADMIN_TOKEN: ["server", "admin_token"],
  DATABASE_URL: ["database", "url"],
  BOTBOX_RUNTIME: ["runtime", "backend"],
};

export class ConfigError extends BadRequestError {}

export interface LoadConfigOptions {
  /** A botbox.toml; when absent, `botbox.toml` in the working folder is used if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads botbox.toml, then lets the environment override any key
 * (`BOTBOX_<SECTION>_<KEY>`, e.g. BOTBOX_MCP_IMAGE). A bad value fails with
 * the key that holds it.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<BotboxConfig> {
  const env = options.env ?? process.env;
  const raw = await readTomlFile(options.file);
  applyEnv(raw, env);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const config = parsed.data;
  config.server.home = path.resolve(config.server.home);
  return config;
}

async function readTomlFile(file: string | undefined): Promise<Record<string, unknown>> {
  const target = file ?? "botbox.toml";
  let text: string;
  try {
    text = await readFile(target, "utf8");
  } catch (error) {
    if (file === undefined && (error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`cannot read config file ${target}: ${(error as Error).message}`);
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`config file ${target} is not valid TOML: ${(error as Error).message}`);
  }
}

function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const sectionNames = Object.keys(configSchema.shape).sort((a, b) => b.length - a.length);
  const set = (section: string, key: string, value: string) => {
    const current = raw[section];
    const target = (typeof current === "object" && current !== null ? current : {}) as Record<string, unknown>;
    target[key] = value;
    raw[section] = target;
  };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === "") continue;
    const alias = ENV_ALIASES[name];
    if (alias) {
      set(alias[0], alias[1], value);
      continue;
    }
    // The longest section first: BOTBOX_MCP_STDIO_X is [mcp_stdio] x, not [mcp] stdio_x.
    const section = sectionNames.find((candidate) => name.startsWith(`BOTBOX_${candidate.toUpperCase()}_`));
    if (!section) continue;
    const key = name.slice(`BOTBOX_${section}_`.length).toLowerCase();
    if (/^[a-z0-9_]+$/.test(key)) set(section, key, value);
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "config"}: ${issue.message}`).join("; ");
}
