import path from "node:path";

import { ConfigError } from "../config.js";

/** The file watch's bounds (docs/watch.md), from the agent's environment. */
export interface WatchSettings {
  /** Folders a watch may be in (resolved, no links); a path resolving elsewhere is refused. */
  roots: string[];
  /** Folders one recursive watch may hold an inotify watch on. */
  maxFolders: number;
  /** Watch streams open at once. */
  maxWatches: number;
}

/** Events held per stream for a client that does not read, when the request does not say. */
export const DEFAULT_QUEUED_EVENTS = 4096;
export const MIN_QUEUED_EVENTS = 16;
export const MAX_QUEUED_EVENTS = 65_536;

export function loadWatchSettings(dataDir: string, env: NodeJS.ProcessEnv = process.env): WatchSettings {
  const listed = env.BOTBOX_WATCH_ROOTS?.trim();
  const roots = listed ? listed.split(":").filter(Boolean) : [dataDir];
  for (const root of roots) {
    if (!path.isAbsolute(root))
      throw new ConfigError(`BOTBOX_WATCH_ROOTS: ${JSON.stringify(root)} is not an absolute path`);
  }
  return {
    roots: roots.map((root) => path.resolve(root)),
    maxFolders: integer(env, "BOTBOX_WATCH_MAX_FOLDERS", 4096, 1, 1_000_000),
    maxWatches: integer(env, "BOTBOX_WATCH_MAX_STREAMS", 32, 1, 4096),
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(raw)}`);
  return value;
}
