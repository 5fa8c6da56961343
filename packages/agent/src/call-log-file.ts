/**
 * The agent's log kept as files the host can read: every line the agent logs
 * (one per call, rpc-call.ts) also goes to `agent.log` beside its socket, in
 * the folder every backend binds from the host at /run/botbox. The server
 * reads it there for `GET /bots/:bot_id/logs?source=agent` (server
 * logs/agent-log.ts), the same way on the sandbox, Docker and containerd,
 * and whatever the backend does with stderr.
 *
 * Rotated by size: when a line would take `agent.log` past `fileBytes`, it
 * becomes `agent.log.1` (`.1` becomes `.2`, and so on), and the oldest beyond
 * `files` is dropped, so the log never takes more than `files × fileBytes`
 * (plus one line). Written synchronously by the agent alone (its one writer),
 * so rotation needs no lock; a failed write (a full disk) is dropped rather
 * than failing the call it describes.
 */
import { closeSync, constants, fstatSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";

import { integerSetting, parseListenAddress } from "./config.js";

export const AGENT_LOG_NAME = "agent.log";
const KiB = 1024;

export interface CallLogFileSettings {
  /** The live file; rotated ones are `<file>.1` … `<file>.<files - 1>`. */
  file: string;
  /** Files kept, the live one included. */
  files: number;
  /** Size at which the live file is rotated. */
  fileBytes: number;
}

/**
 * From the environment: BOTBOX_AGENT_LOG_FILES (default 0: no file, as for an
 * agent run by hand; the server sets it from `[log] agent_files`) and
 * BOTBOX_AGENT_LOG_FILE_BYTES (default 1 MiB, at least 4 KiB). The folder is
 * the socket's (or /run/botbox for a TCP agent), where the host looks;
 * undefined when the file is off.
 */
export function callLogFileSettings(env: NodeJS.ProcessEnv = process.env): CallLogFileSettings | undefined {
  const files = integerSetting(env, "BOTBOX_AGENT_LOG_FILES", 0, 0, 32);
  const fileBytes = integerSetting(env, "BOTBOX_AGENT_LOG_FILE_BYTES", 1024 * KiB, 4 * KiB, 256 * 1024 * KiB);
  if (files === 0) return undefined;
  const target = parseListenAddress(env.MCP_LISTEN_ADDR?.trim() || ":9090");
  const folder = target.kind === "unix" ? path.dirname(target.path) : "/run/botbox";
  return { file: path.join(folder, AGENT_LOG_NAME), files, fileBytes };
}

/** A pino destination (anything with `write(line)`) that appends to rotated files. */
export class CallLogFile {
  private fd: number | undefined;
  private size = 0;

  constructor(private readonly settings: CallLogFileSettings) {
    this.open();
  }

  /** False when the file could not be opened (its folder is missing or read-only): lines then go to stderr only. */
  get usable(): boolean {
    return this.fd !== undefined;
  }

  write(line: string): boolean {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.settings.fileBytes) this.rotate();
    if (this.fd === undefined) return true;
    try {
      writeSync(this.fd, line);
      this.size += bytes;
    } catch {
      // A full disk must not fail the call being logged; stderr still has the line.
    }
    return true;
  }

  private open(): void {
    try {
      // O_NOFOLLOW: a symlink left in the folder is not written through.
      const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
      this.fd = openSync(this.settings.file, flags, 0o600);
      this.size = fstatSync(this.fd).size;
    } catch {
      this.fd = undefined;
    }
  }

  private rotate(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    const { file, files } = this.settings;
    const move = (from: string, to: string) => {
      try {
        renameSync(from, to);
      } catch {
        // Not there yet (fewer files than the bound so far).
      }
    };
    if (files === 1) {
      try {
        unlinkSync(file);
      } catch {
        // Already gone.
      }
    } else {
      for (let index = files - 2; index >= 1; index--) move(`${file}.${index}`, `${file}.${index + 1}`);
      move(file, `${file}.1`);
    }
    this.open();
  }
}

/**
 * Where the agent's logger writes: stderr, and the rotated file when it is
 * on and could be opened. `problem` says why there is no file (a bad
 * setting), for the agent to log once it has a logger.
 */
export function agentLogStreams(stderr: { write(line: string): unknown }): {
  streams: { write(line: string): unknown }[];
  problem?: string;
} {
  try {
    const settings = callLogFileSettings();
    if (!settings) return { streams: [stderr] };
    const file = new CallLogFile(settings);
    if (!file.usable)
      return { streams: [stderr], problem: `cannot open ${settings.file}: calls are logged on stderr only` };
    return { streams: [stderr, file] };
  } catch (error) {
    return { streams: [stderr], problem: error instanceof Error ? error.message : String(error) };
  }
}
