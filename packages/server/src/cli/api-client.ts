import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";

import { parse as parseToml } from "smol-toml";

// Constants and node:crypto only: the client commands do not load the server.
import { DEFAULT_HOME, DEFAULT_HOST, DEFAULT_PORT } from "../config/server-defaults.js";
import { BotboxError, type BotboxErrorCode } from "../errors.js";
import { proofMatches, SERVER_PROOF_ROUTE } from "../http/server-proof.js";

/** Where the CLI finds the server and its token. */
export interface ApiTarget {
  url: string;
  token: string;
}

export interface TargetFlags {
  url?: string;
  token?: string;
  home?: string;
}

/**
 * A failure the CLI reports in one line: a mistake on its command line, or
 * the server's answer, which keeps the server's code.
 */
export class CliError extends BotboxError {
  constructor(message: string, code: BotboxErrorCode = "bad_request") {
    super(code, message);
  }
}

/** `$XDG_CONFIG_HOME/botbox/config.toml`, default `~/.config/botbox/config.toml`. */
export function userConfigPath(): string {
  const base = process.env.XDG_CONFIG_HOME || path.join(homedir(), ".config");
  return path.join(base, "botbox", "config.toml");
}

async function readUserConfig(): Promise<{ url?: string; token?: string }> {
  const file = process.env.BOTBOX_CLI_CONFIG || userConfigPath();
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return {};
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${file} is not valid TOML: ${(error as Error).message}`);
  }
  const pick = (key: string) => {
    const value = parsed[key];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value === "") throw new CliError(`${file}: ${key} must be a non-empty string`);
    return value;
  };
  return { url: pick("url"), token: pick("token") };
}

/**
 * Flags first, then the environment (BOTBOX_URL, BOTBOX_TOKEN), then the
 * user's config file (url, token), then the local server: its default port and the
 * admin token in its home folder.
 */
export async function resolveApiTarget(flags: TargetFlags): Promise<ApiTarget> {
  const file = await readUserConfig();
  // An empty variable counts as unset.
  const env = (name: string) => process.env[name] || undefined;
  const url =
    flags.url ?? env("BOTBOX_URL") ?? file.url ?? `http://${DEFAULT_HOST}:${env("BOTBOX_PORT") ?? DEFAULT_PORT}`;
  let token = flags.token ?? env("BOTBOX_TOKEN") ?? env("BOTBOX_ADMIN_TOKEN") ?? file.token;
  let adminToken = token !== undefined && (token === env("BOTBOX_ADMIN_TOKEN") || token.startsWith("bbx_admin_"));
  if (!token) {
    const home = path.resolve(flags.home ?? env("BOTBOX_HOME") ?? DEFAULT_HOME);
    token = (await readFile(path.join(home, "admin-token"), "utf8").catch(() => "")).trim();
    adminToken = true;
  }
  if (!token) {
    throw new CliError(
      `no API token: pass --token, set BOTBOX_TOKEN, put token = "…" in ${userConfigPath()}, or run where the server's home has admin-token`,
    );
  }
  const target = { url: url.replace(/\/+$/, ""), token };
  if (adminToken) await requireServerProof(target);
  return target;
}

/**
 * Before the admin token leaves this process, the server must show it holds
 * the same token (http/server-proof.ts): another process on the port (a bot
 * with the host's network that bound it while the server was down) gets a
 * challenge it cannot answer, and never the token. Bot-scoped tokens are not
 * known to the server in plain, so they cannot be checked this way
 * (docs/server.md).
 */
async function requireServerProof(target: ApiTarget): Promise<void> {
  const challenge = randomBytes(32).toString("hex");
  let proof: unknown;
  try {
    const response = await fetch(`${target.url}${SERVER_PROOF_ROUTE}?challenge=${challenge}`, { redirect: "error" });
    proof = response.ok ? ((await response.json()) as { proof?: unknown }).proof : undefined;
  } catch (error) {
    if (error instanceof SyntaxError) proof = undefined;
    else throw new CliError(`cannot reach botbox at ${target.url}: ${String((error as Error).cause ?? error)}`);
  }
  if (!proofMatches(target.token, challenge, proof)) {
    throw new CliError(
      `the server at ${target.url} could not prove it holds the admin token, so the token was not sent: another process may hold the port (is botbox running? see docs/server.md)`,
    );
  }
}
