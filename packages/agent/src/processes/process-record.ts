/**
 * What a process leaves in its folder under the agent's state folder, read
 * by a restarted agent to find its processes again:
 *
 *   process.json   written by the keeper once the process runs
 *   exit.json      written by the keeper once it has ended and its output is in
 *   out-*.log      the output log (output-log.ts)
 *   keeper.sock    the keeper's socket while it lives
 *   keeper.log     the keeper's own errors
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import { errorCode } from "../error-code.js";

export interface PtySize {
  cols: number;
  rows: number;
}

/** What the agent hands a new keeper on its stdin (never on disk: env may hold secrets). */
export interface KeeperSpec {
  id: string;
  tag: string;
  argv: string[];
  shell: string;
  cwd: string;
  env: Record<string, string>;
  pty?: PtySize;
  outputLimitBytes: number;
  ringBytes: number;
}

export interface ProcessRecord {
  id: string;
  tag: string;
  argv: string[];
  shell: string;
  cwd: string;
  pty?: PtySize;
  /** The process's pid, also its process group id (a PTY's shell with its own session). */
  pid: number;
  keeperPid: number;
  startedAt: string;
  /** The same moment in milliseconds, to order processes started within one second. */
  startedAtMs: number;
  outputLimitBytes: number;
}

export interface ExitRecord {
  exitCode: number;
  /** The killing signal's name, or "". */
  signal: string;
  endedAt: string;
  /** The same moment in milliseconds, to order processes that ended within one second. */
  endedAtMs: number;
  outputBytes: number;
  droppedBytes: number;
}

/** What the keeper answers to `status`. */
export interface LiveState {
  outputBytes: number;
  droppedBytes: number;
  inputOpen: boolean;
  exit?: ExitRecord;
}

export const PROCESS_FILE = "process.json";
export const EXIT_FILE = "exit.json";
export const KEEPER_SOCKET = "keeper.sock";
export const KEEPER_LOG = "keeper.log";

/** Replaces a JSON file by rename, so a reader sees the old file or the whole new one. */
export function writeJsonAtomically(file: string, value: unknown): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  try {
    writeFileSync(temporary, `${JSON.stringify(value)}\n`, { mode: 0o600 });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** The parsed file, or undefined when it does not exist. */
export function readJsonFile<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
}
