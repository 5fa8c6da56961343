import path from "node:path";

export interface AgentConfig {
  /** `:9090`, `host:port`, `[v6]:port` or `unix:/abs/path.sock`. */
  listenAddress: string;
  dataDir: string;
  templateDir: string;
  botId: string;
  /** When set, calls must carry `authorization: Bearer <token>`. */
  token?: string;
  processes: ProcessSettings;
}

/** The process supervisor's bounds (docs/processes.md). */
export interface ProcessSettings {
  /** Where each process's folder lives: `<stateDir>/processes/<id>`. */
  stateDir: string;
  /** Output kept per process when Start does not say. */
  defaultOutputBytes: number;
  /** The most a Start may ask to keep. */
  maxOutputBytes: number;
  /** Processes running at once; Start beyond that fails RESOURCE_EXHAUSTED. */
  maxRunning: number;
  /** Finished processes kept, newest first, and for how long. */
  keepFinished: number;
  keepFinishedSeconds: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads the agent's settings from its environment, rejecting what cannot work. */
export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const listenAddress = env.MCP_LISTEN_ADDR?.trim() || ":9090";
  parseListenAddress(listenAddress);
  const dataDir = env.BOTBOX_DATA_DIR?.trim() || "/data";
  const templateDir = env.BOTBOX_TEMPLATE_DIR?.trim() || "/opt/mcp-template";
  for (const [name, value] of [
    ["BOTBOX_DATA_DIR", dataDir],
    ["BOTBOX_TEMPLATE_DIR", templateDir],
  ] as const) {
    if (!path.isAbsolute(value))
      throw new ConfigError(`${name} must be an absolute path, got ${JSON.stringify(value)}`);
  }
  const token = env.BOTBOX_AGENT_TOKEN;
  if (token !== undefined && token.length > 0 && !/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigError("BOTBOX_AGENT_TOKEN must be printable ASCII without spaces");
  }
  return {
    listenAddress,
    dataDir: path.resolve(dataDir),
    templateDir: path.resolve(templateDir),
    botId: env.BOTBOX_BOT_ID?.trim() ?? "",
    token: token || undefined,
    processes: loadProcessSettings(env, listenAddress),
  };
}

const MiB = 2 ** 20;

function loadProcessSettings(env: NodeJS.ProcessEnv, listenAddress: string): ProcessSettings {
  // By default beside the socket: every backend binds that folder
  // (/run/botbox) from the host, out of /data's way, and keeps it while the
  // workspace lives, which is what a restarted agent needs.
  const target = parseListenAddress(listenAddress);
  const stateDir = env.BOTBOX_STATE_DIR?.trim() || (target.kind === "unix" ? path.dirname(target.path) : "/run/botbox");
  if (!path.isAbsolute(stateDir))
    throw new ConfigError(`BOTBOX_STATE_DIR must be an absolute path, got ${JSON.stringify(stateDir)}`);
  const maxOutputBytes = integerSetting(env, "BOTBOX_PROCESS_MAX_OUTPUT_BYTES", 256 * MiB, 64 * 1024, 2 ** 40);
  return {
    stateDir: path.resolve(stateDir),
    defaultOutputBytes: integerSetting(env, "BOTBOX_PROCESS_OUTPUT_BYTES", 8 * MiB, 64 * 1024, maxOutputBytes),
    maxOutputBytes,
    maxRunning: integerSetting(env, "BOTBOX_PROCESS_MAX_RUNNING", 32, 1, 4096),
    keepFinished: integerSetting(env, "BOTBOX_PROCESS_KEEP_FINISHED", 32, 0, 4096),
    keepFinishedSeconds: integerSetting(env, "BOTBOX_PROCESS_KEEP_FINISHED_SECONDS", 3600, 0, 365 * 86400),
  };
}

/** A whole number from the environment, `fallback` when unset, or a ConfigError naming the variable and its range. */
export function integerSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

export type ListenTarget = { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number };

export function parseListenAddress(address: string): ListenTarget {
  if (address.startsWith("unix:")) {
    const socketPath = address.slice("unix:".length).replace(/^\/\/(?=\/)/, "");
    if (!path.isAbsolute(socketPath)) {
      throw new ConfigError(`MCP_LISTEN_ADDR: a unix socket needs an absolute path, got ${JSON.stringify(address)}`);
    }
    return { kind: "unix", path: socketPath };
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new ConfigError(
      `MCP_LISTEN_ADDR must be ":port", "host:port" or "unix:/path", got ${JSON.stringify(address)}`,
    );
  }
  return { kind: "tcp", host: match[1] ?? match[2] ?? "", port };
}
