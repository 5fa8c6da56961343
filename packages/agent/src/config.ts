import path from "node:path";

export interface AgentConfig {
  /** `:9090`, `host:port`, `[v6]:port` or `unix:/abs/path.sock`. */
  listenAddress: string;
  dataDir: string;
  templateDir: string;
  botId: string;
  /** When set, calls must carry `authorization: Bearer <token>`. */
  token?: string;
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
  };
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
