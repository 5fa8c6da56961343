import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

import { type BotboxConfig, ConfigError } from "../config/index.js";
import type { ConnectionLimits } from "../http/index.js";

/** Descriptors kept for everything that is not an API connection: bots' agent channels, the database, files, logs. */
const OTHER_DESCRIPTORS = 256;
const DEFAULT_MAX_CONNECTIONS = 4096;

export interface OpenFileLimit {
  soft: number;
  hard: number;
}

function readOpenFileLimit(): OpenFileLimit | undefined {
  const limits = readFileSync("/proc/self/limits", "utf8");
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
  if (!match) return undefined;
  const value = (text: string) => (text === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(text));
  return { soft: value(match[1]!), hard: value(match[2]!) };
}

/**
 * Raises the soft limit on open files to the hard one. The node binary
 * already does so as it starts, but an embedder or a wrapper may not; Node
 * has no setrlimit, so util-linux's prlimit (present wherever bubblewrap's
 * Debian is) sets it on our own pid. What is in force is returned, and the
 * connection limits are sized from it.
 */
export function raiseOpenFileLimit(): { limit: OpenFileLimit; raisedBy?: string; problem?: string } {
  const before = readOpenFileLimit();
  if (!before) return { limit: { soft: 1024, hard: 1024 }, problem: "/proc/self/limits has no open-file limit" };
  if (before.soft >= before.hard) return { limit: before };
  const hard = before.hard === Number.MAX_SAFE_INTEGER ? "unlimited" : String(before.hard);
  try {
    execFileSync("prlimit", ["--pid", String(process.pid), `--nofile=${hard}:${hard}`], { stdio: "pipe" });
  } catch (error) {
    return { limit: before, problem: `prlimit could not raise it: ${(error as Error).message}` };
  }
  return { limit: readOpenFileLimit() ?? before, raisedBy: "prlimit" };
}

/** `[server]`'s connection settings with their automatic values filled in and checked against the open-file limit. */
export function connectionLimitsFor(config: BotboxConfig["server"], openFiles: number): ConnectionLimits {
  const reserve = config.admin_reserved_connections;
  const room = openFiles - OTHER_DESCRIPTORS;
  const maxConnections =
    config.max_connections || Math.max(reserve + 2, Math.min(DEFAULT_MAX_CONNECTIONS, Math.floor(openFiles / 2)));
  if (maxConnections > room) {
    throw new ConfigError(
      `server.max_connections: ${maxConnections} does not fit the open-file limit of ${openFiles} (${OTHER_DESCRIPTORS} are kept for the rest); lower it or raise the hard limit (ulimit -Hn)`,
    );
  }
  if (reserve >= maxConnections) {
    throw new ConfigError(
      `server.admin_reserved_connections: ${reserve} must be below server.max_connections (${maxConnections})`,
    );
  }
  const ordinary = maxConnections - reserve;
  const maxPerPeer = config.max_connections_per_peer || Math.max(1, Math.floor(ordinary / 2));
  if (maxPerPeer > ordinary) {
    throw new ConfigError(
      `server.max_connections_per_peer: ${maxPerPeer} must not exceed server.max_connections minus server.admin_reserved_connections (${ordinary})`,
    );
  }
  return {
    maxConnections,
    maxPerPeer,
    adminReserve: reserve,
    firstRequestTimeoutMs: Math.round(config.first_request_timeout_seconds * 1000),
  };
}
