/**
 * Starts a sandbox detached from the server, so it outlives a server restart.
 *
 * bwrap is spawned in its own session (setsid) as the bot's host uid, with
 * stdout and stderr on the bot's log file. `--info-fd` tells us the pid of the
 * sandbox's init and `--userns-block-fd` holds it until we have written its
 * user namespace maps (bot root = the bot's host uid) and moved it into the
 * bot's cgroups: only then may it start the agent, which so inherits them.
 * `--json-status-fd` goes to a file where bwrap writes the exit code.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { open, readFile, writeFile } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";

import { UnavailableError } from "../../errors.js";
import type { HostIdentity } from "./host-ids.js";
import { processStartTime, type TaskRecord } from "./task-record.js";

const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface LaunchRequest {
  bwrapPath: string;
  /** bwrap's own arguments, up to and including the sandboxed command. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** The host identity bwrap runs as and bot root maps to. */
  identity: HostIdentity;
  /** Spawn as `identity` (we are root); otherwise bwrap runs as ourselves. */
  switchUser: boolean;
  /**
   * Runs bwrap through another command, e.g. one that makes its network
   * namespace first and then becomes `identity` itself (switchUser is then
   * ignored); it must exec bwrap, so the monitor's pid stays bwrap's.
   */
  wrap?: (command: string, args: string[]) => { command: string; args: string[] };
  logFile: string;
  statusFile: string;
  /** A compiled seccomp filter bwrap applies to everything in the sandbox (seccomp.ts). */
  seccomp?: Buffer;
  /** Runs while the sandbox's init waits, e.g. to move it into cgroups. */
  beforeRelease: (initPid: number) => Promise<void>;
}

export async function launchSandbox(request: LaunchRequest): Promise<TaskRecord> {
  const log = await open(request.logFile, "a", 0o600);
  const status = await open(request.statusFile, "w", 0o600);
  const args = [
    "--info-fd",
    "3",
    "--userns-block-fd",
    "4",
    "--json-status-fd",
    "5",
    ...(request.seccomp ? ["--seccomp", "6"] : []),
    ...request.args,
  ];
  try {
    const command = request.wrap ? request.wrap(request.bwrapPath, args) : { command: request.bwrapPath, args };
    const child = spawn(command.command, command.args, {
      detached: true,
      env: request.env,
      stdio: ["ignore", log.fd, log.fd, "pipe", "pipe", status.fd, request.seccomp ? "pipe" : "ignore"],
      ...(request.switchUser && !request.wrap ? { uid: request.identity.uid, gid: request.identity.gid } : {}),
    });
    const info = child.stdio[3] as Readable;
    const release = child.stdio[4] as Writable;
    // Small (a few hundred bytes): it fits the pipe, and bwrap reads it to its end before cloning.
    if (request.seccomp) {
      const seccompPipe = (child.stdio as unknown as Writable[])[6]!;
      // A bwrap that fails before reading it resets the pipe (ECONNRESET):
      // its exit, below, says why; unhandled, the error would end the server.
      seccompPipe.on("error", () => {});
      seccompPipe.end(request.seccomp);
    }
    try {
      const exited = once(child, "exit").then(async ([code]) => {
        const tail = (await readFile(request.logFile, "utf8").catch(() => "")).slice(-2000);
        throw new UnavailableError(`bwrap exited with ${String(code)} before the sandbox started: ${tail.trim()}`);
      });
      const failed = once(child, "error").then(([error]) => {
        throw new UnavailableError(`cannot run ${command.command}: ${(error as Error).message}`, { cause: error });
      });
      // Settled only on failure; keep later settlements from going unhandled.
      exited.catch(() => {});
      failed.catch(() => {});
      const initPid = await withTimeout(Promise.race([readInitPid(info), failed]), () => child.kill("SIGKILL"));
      // No pid: bwrap failed before cloning, and its log says why.
      if (initPid === undefined) return await exited;
      let startTime: string | undefined;
      try {
        await writeIdMaps(initPid, request.identity);
        await request.beforeRelease(initPid);
        startTime = await processStartTime(initPid);
        if (startTime === undefined) throw new UnavailableError("the sandbox's init vanished during start-up");
      } catch (error) {
        killQuietly(initPid);
        child.kill("SIGKILL");
        throw error;
      }
      // Wait for the byte to leave before the stream is destroyed below.
      await new Promise<void>((resolve) => {
        release.once("error", () => resolve());
        release.end("1", () => resolve());
      });
      return { pid: initPid, startTime, monitorPid: child.pid!, startedAt: new Date().toISOString() };
    } finally {
      info.destroy();
      release.destroy();
      // The server must not wait for the sandbox, nor keep it when exiting.
      child.unref();
    }
  } finally {
    await log.close();
    await status.close();
  }
}

async function readInitPid(info: Readable): Promise<number | undefined> {
  let text = "";
  for await (const chunk of info) text += String(chunk);
  if (text.trim() === "") return undefined;
  const pid = (JSON.parse(text) as { "child-pid"?: number })["child-pid"];
  if (typeof pid !== "number") throw new UnavailableError(`bwrap reported no child pid: ${text}`);
  return pid;
}

/**
 * One-line maps: root inside is the bot's host identity and nothing else is
 * mapped, as bwrap itself does for unprivileged users. `setgroups` must be
 * denied before an unprivileged writer may map a gid.
 */
async function writeIdMaps(pid: number, identity: HostIdentity): Promise<void> {
  await writeFile(`/proc/${pid}/uid_map`, `0 ${identity.uid} 1\n`);
  await writeFile(`/proc/${pid}/setgroups`, "deny");
  await writeFile(`/proc/${pid}/gid_map`, `0 ${identity.gid} 1\n`);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

async function withTimeout<T>(promise: Promise<T>, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new UnavailableError(`bwrap did not report its sandbox within ${HANDSHAKE_TIMEOUT_MS} ms`));
    }, HANDSHAKE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
