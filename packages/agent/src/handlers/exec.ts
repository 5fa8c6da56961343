import { type ChildProcessByStdio, spawn } from "node:child_process";
import { once } from "node:events";
import { stat } from "node:fs/promises";
import { constants } from "node:os";
import type { Readable, Writable } from "node:stream";

import { type ExecInput, type ExecOutput, ExecOutput_Stream } from "@botbox/proto";
import type { ServerDuplexStream } from "@grpc/grpc-js";

import { firstMessage } from "../first-message.js";
import { resolvePath } from "../paths.js";
import type { CallLog } from "../rpc-call.js";
import { describeSystemError, internal, invalidArgument } from "../rpc-error.js";

// The original's defaults: a timeout of 0 means 30 s; output goes in 4 KiB messages.
export const DEFAULT_EXEC_TIMEOUT_SECONDS = 30;
export const EXEC_OUTPUT_CHUNK_BYTES = 4096;
const ENV_ENTRY = /^[^=\0]+=[^\0]*$/;

type ExecCall = ServerDuplexStream<ExecInput, ExecOutput>;
type ShellProcess = ChildProcessByStdio<Writable, Readable, Readable>;

export interface ExecOptions {
  dataDir: string;
  /** The agent's own environment minus its secrets: what commands inherit. */
  baseEnv: NodeJS.ProcessEnv;
}

/**
 * Runs `/bin/sh -c <command>` and streams its output, with the original's
 * bugs fixed (docs/reference.md#fix-exec-kill): stdin in the first message is
 * used, a timeout or cancel kills the whole process group and closes the
 * pipes (so a grandchild holding stdout cannot hang the call), a kill reports
 * 128+signal, a negative timeout means none, and output respects the
 * stream's flow control.
 */
export async function exec(options: ExecOptions, call: ExecCall, log: CallLog): Promise<void> {
  const config = await firstMessage(call);
  if (config === undefined) throw invalidArgument("failed to receive exec config");
  if (config.command === "") throw invalidArgument("command is required");
  const env = mergeEnv(options.baseEnv, config.env);
  const workDir = config.workDir === "" ? options.dataDir : resolvePath(options.dataDir, config.workDir);
  log.path = workDir;

  const child = await startShell(config.command, workDir, env);
  let killed = false;
  const killGroup = () => {
    if (killed) return;
    killed = true;
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
    child.stdout.destroy();
    child.stderr.destroy();
    child.stdin.destroy();
  };
  const timeoutSeconds = config.timeoutSeconds === 0 ? DEFAULT_EXEC_TIMEOUT_SECONDS : config.timeoutSeconds;
  const timer = timeoutSeconds > 0 ? setTimeout(killGroup, timeoutSeconds * 1000) : undefined;
  call.on("cancelled", killGroup);
  if (call.cancelled) killGroup();

  const exited = exitOf(child);
  feedStdin(call, child, config.stdinData);
  const outputDone = Promise.all([
    pump(call, child.stdout, ExecOutput_Stream.STDOUT, child),
    pump(call, child.stderr, ExecOutput_Stream.STDERR, child),
  ]);
  try {
    const [code, signal] = await exited;
    // Output still held open by a grandchild is waited for until the deadline,
    // like the original; at the deadline killGroup closes the pipes.
    await outputDone;
    if (!call.cancelled)
      call.write({ stream: ExecOutput_Stream.EXIT, data: Buffer.alloc(0), exitCode: exitCodeOf(code, signal) });
  } finally {
    if (timer) clearTimeout(timer);
    call.off("cancelled", killGroup);
  }
}

async function startShell(command: string, workDir: string, env: NodeJS.ProcessEnv): Promise<ShellProcess> {
  let child: ShellProcess;
  try {
    child = spawn("/bin/sh", ["-c", command], {
      cwd: workDir,
      env,
      // Its own process group, so a timeout or cancel can kill every descendant.
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    await once(child, "spawn");
  } catch (error) {
    // Node blames /bin/sh for a bad cwd; name the folder instead.
    await requireDirectory(workDir);
    throw internal(`start: ${error instanceof Error ? error.message : String(error)}`);
  }
  return child;
}

export function mergeEnv(base: NodeJS.ProcessEnv, entries: string[]): NodeJS.ProcessEnv {
  const env = { ...base };
  entries.forEach((entry, index) => {
    if (!ENV_ENTRY.test(entry)) {
      throw invalidArgument(`env[${index}] must be KEY=VALUE with a non-empty KEY, got ${JSON.stringify(entry)}`);
    }
    const split = entry.indexOf("=");
    // Later entries win, so a caller's value overrides the agent's.
    env[entry.slice(0, split)] = entry.slice(split + 1);
  });
  return env;
}

async function requireDirectory(workDir: string): Promise<void> {
  try {
    if ((await stat(workDir)).isDirectory()) return;
  } catch (error) {
    throw internal(`start: ${describeSystemError("chdir", workDir, error)}`);
  }
  throw internal(`start: chdir ${workDir}: not a directory`);
}

function feedStdin(call: ExecCall, child: ShellProcess, firstData: Buffer): void {
  // A command that exits without reading stdin makes writes fail with EPIPE.
  child.stdin.on("error", () => undefined);
  if (firstData.length > 0) child.stdin.write(firstData);
  call.on("data", (message: ExecInput) => {
    if (message.stdinData.length === 0 || child.stdin.destroyed) return;
    if (!child.stdin.write(message.stdinData)) {
      call.pause();
      child.stdin.once("drain", () => call.resume());
    }
  });
  // The client's half-close is the command's end of input.
  call.on("end", () => child.stdin.end());
  call.resume();
}

async function pump(call: ExecCall, output: Readable, stream: ExecOutput_Stream, child: ShellProcess): Promise<void> {
  output.on("data", (chunk: Buffer) => {
    if (call.cancelled) return;
    let writable = true;
    for (let offset = 0; offset < chunk.length; offset += EXEC_OUTPUT_CHUNK_BYTES) {
      writable = call.write({ stream, data: chunk.subarray(offset, offset + EXEC_OUTPUT_CHUNK_BYTES), exitCode: 0 });
    }
    if (!writable) {
      child.stdout.pause();
      child.stderr.pause();
      call.once("drain", () => {
        child.stdout.resume();
        child.stderr.resume();
      });
    }
  });
  await new Promise<void>((resolve) => output.once("close", resolve));
}

function exitOf(child: ShellProcess): Promise<[number | null, NodeJS.Signals | null]> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve([child.exitCode, child.signalCode]);
  return once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal !== null) return 128 + (constants.signals[signal] ?? 0);
  return -1;
}
