import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";

import { OutputStream } from "./frames.js";
import type { KeeperSpec } from "./process-record.js";
import { PTY_HELPER_SOURCE } from "./pty-helper.js";

const PTY_START_TIMEOUT_MS = 5_000;

/** A failure to start that the caller caused (a missing program, no python3 for a PTY). */
export class StartFailure extends Error {
  constructor(
    readonly code: "INVALID_ARGUMENT" | "FAILED_PRECONDITION",
    message: string,
  ) {
    super(message);
  }
}

export interface KeptChild {
  child: ChildProcess;
  /** The process group that signals go to. */
  groupPid: number;
  stdin: Writable;
  outputs: { stream: number; readable: Readable }[];
  /** A PTY helper's control socket (resize lines). */
  control?: Writable;
}

/** Starts the process in its own process group (a PTY's in its own session), all of its stdio piped to us. */
export async function startChild(spec: KeeperSpec): Promise<KeptChild> {
  const argv = spec.shell !== "" ? ["/bin/sh", "-c", spec.shell] : spec.argv;
  if (spec.pty) return startPtyChild(spec, argv);
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  await spawned(child, () => new StartFailure("INVALID_ARGUMENT", `argv[0] ${JSON.stringify(argv[0])}`));
  return {
    child,
    groupPid: child.pid!,
    stdin: child.stdin!,
    outputs: [
      { stream: OutputStream.Stdout, readable: child.stdout! },
      { stream: OutputStream.Stderr, readable: child.stderr! },
    ],
  };
}

async function startPtyChild(spec: KeeperSpec, argv: string[]): Promise<KeptChild> {
  const { cols, rows } = spec.pty!;
  const child = spawn("python3", ["-c", PTY_HELPER_SOURCE, String(cols), String(rows), ...argv], {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe", "pipe"],
  });
  await spawned(child, () => new StartFailure("FAILED_PRECONDITION", "a PTY needs python3 in the workspace"));
  const control = child.stdio[3] as Readable & Writable;
  const errors: Buffer[] = [];
  child.stderr!.on("data", (chunk: Buffer) => errors.push(chunk));
  const groupPid = await new Promise<number>((resolve, reject) => {
    let line = "";
    const fail = () =>
      reject(new StartFailure("FAILED_PRECONDITION", `the PTY helper failed: ${Buffer.concat(errors).toString()}`));
    const timer = setTimeout(fail, PTY_START_TIMEOUT_MS);
    control.on("data", function onData(chunk: Buffer) {
      line += chunk.toString();
      const match = /^pid (\d+)\n/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      control.off("data", onData);
      resolve(Number(match[1]));
    });
    child.once("exit", () => {
      clearTimeout(timer);
      fail();
    });
  });
  // Whatever the helper wrote to stderr so far is output like the rest.
  child.stderr!.removeAllListeners("data");
  child.stderr!.pause();
  if (errors.length > 0) child.stderr!.unshift(Buffer.concat(errors));
  control.on("error", () => undefined);
  return {
    child,
    groupPid,
    stdin: child.stdin!,
    outputs: [
      { stream: OutputStream.Pty, readable: child.stdout! },
      { stream: OutputStream.Stderr, readable: child.stderr! },
    ],
    control,
  };
}

async function spawned(child: ChildProcess, failure: () => StartFailure): Promise<void> {
  try {
    await once(child, "spawn");
  } catch (error) {
    const reason = failure();
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new StartFailure(reason.code, `${reason.message}: cannot be run (${code})`);
  }
}
