/**
 * The keeper: one small process per supervised process, started by the
 * agent from its own bundle (`agent.js --botbox-keeper <folder>`) in a new
 * session, so neither the agent's exit nor a signal to the agent's group
 * reaches it. It owns the process: its pipes (or PTY), its output log and
 * ring, its exit status; it serves the agent over `keeper.sock` in the
 * process's folder. A restarted agent finds it there again. See
 * docs/processes.md for why a keeper per process.
 */
import { unlinkSync } from "node:fs";
import net from "node:net";
import { constants } from "node:os";
import path from "node:path";

import { rfc3339 } from "../file-entry.js";
import { FrameKind, FrameSplitter, jsonFrame } from "./frames.js";
import { type KeptChild, startChild, StartFailure } from "./keeper-child.js";
import { Subscriber } from "./keeper-subscriber.js";
import { OutputLogWriter } from "./output-log.js";
import { OutputRing } from "./output-ring.js";
import {
  EXIT_FILE,
  type ExitRecord,
  KEEPER_SOCKET,
  type KeeperSpec,
  type LiveState,
  PROCESS_FILE,
  type ProcessRecord,
  writeJsonAtomically,
} from "./process-record.js";

/** After the process exits, how long output pipes held by its descendants stay open. */
const OUTPUT_GRACE_MS = 2_000;
/** After the exit record is written, how long attached readers get to take the rest. */
const LINGER_MS = 5_000;
/** Input accepted ahead of a process that is not reading it. */
export const MAX_PENDING_INPUT_BYTES = 2 ** 20;

export type KeeperErrorCode = "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "RESOURCE_EXHAUSTED";
export type KeeperRequest =
  | { op: "status" | "closeInput" | "wait" }
  | { op: "input" }
  | { op: "signal"; signal: string }
  | { op: "resize"; cols: number; rows: number }
  | { op: "attach"; offset: number; follow: boolean };

class KeeperError extends Error {
  constructor(
    readonly code: KeeperErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class Keeper {
  readonly log: OutputLogWriter;
  readonly ring: OutputRing;
  private readonly subscribers = new Set<Subscriber>();
  private readonly waiters = new Set<net.Socket>();
  private inputOpen = true;
  private openOutputs = 0;
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exit: ExitRecord | undefined;
  private server: net.Server | undefined;
  /** process.json is written: only then may exit.json follow and the keeper end. */
  private served = false;
  private exitUnrecorded = false;

  constructor(
    readonly dir: string,
    private readonly spec: KeeperSpec,
    private readonly kept: KeptChild,
  ) {
    this.log = new OutputLogWriter(dir, spec.outputLimitBytes);
    this.ring = new OutputRing(spec.ringBytes);
    kept.stdin.on("error", () => undefined);
    for (const { stream, readable } of kept.outputs) {
      this.openOutputs++;
      readable.on("data", (data: Buffer) => this.onOutput(stream, data));
      readable.once("close", () => {
        this.openOutputs--;
        this.maybeFinish();
      });
    }
    kept.child.once("exit", (code, signal) => {
      this.exitStatus = { code, signal };
      // Descendants may hold the pipes open for ever; the process has ended.
      setTimeout(() => kept.outputs.forEach(({ readable }) => readable.destroy()), OUTPUT_GRACE_MS).unref();
      this.maybeFinish();
    });
  }

  async serve(): Promise<ProcessRecord> {
    const socketPath = path.join(this.dir, KEEPER_SOCKET);
    const server = net.createServer((socket) => this.accept(socket));
    const previousUmask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => server.listen(socketPath, resolve).once("error", reject));
    } finally {
      process.umask(previousUmask);
    }
    this.server = server;
    const startedAtMs = Date.now();
    const record: ProcessRecord = {
      id: this.spec.id,
      tag: this.spec.tag,
      argv: this.spec.argv,
      shell: this.spec.shell,
      cwd: this.spec.cwd,
      ...(this.spec.pty ? { pty: this.spec.pty } : {}),
      pid: this.kept.groupPid,
      keeperPid: process.pid,
      startedAt: rfc3339(new Date(startedAtMs)),
      startedAtMs,
      outputLimitBytes: this.spec.outputLimitBytes,
    };
    // Written once the socket listens: a process.json without a live socket
    // and without exit.json means a keeper that died.
    writeJsonAtomically(path.join(this.dir, PROCESS_FILE), record);
    this.served = true;
    // A process quicker than this start-up finishes now.
    this.maybeFinish();
    return record;
  }

  state(): LiveState {
    return {
      outputBytes: this.log.total,
      droppedBytes: this.log.dropped,
      inputOpen: this.inputOpen,
      ...(this.exit ? { exit: this.exit } : {}),
    };
  }

  forget(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
  }

  private onOutput(stream: number, data: Buffer): void {
    const offset = this.log.total;
    this.log.append(stream, data);
    this.ring.push(offset, stream, data);
    for (const subscriber of this.subscribers) subscriber.pump();
  }

  private maybeFinish(): void {
    if (this.exit || !this.served || !this.exitStatus || this.openOutputs > 0) return;
    const { code, signal } = this.exitStatus;
    this.log.close();
    const endedAtMs = Date.now();
    this.exit = {
      exitCode: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0),
      signal: signal ?? "",
      endedAt: rfc3339(new Date(endedAtMs)),
      endedAtMs,
      outputBytes: this.log.total,
      droppedBytes: this.log.dropped,
    };
    this.writeExitRecord();
    this.inputOpen = false;
    this.kept.stdin.destroy();
    this.kept.control?.destroy();
    for (const waiter of this.waiters) reply(waiter, { state: this.state() });
    this.waiters.clear();
    for (const subscriber of this.subscribers) subscriber.pump();
    if (this.exitUnrecorded) return;
    this.server?.close();
    try {
      unlinkSync(path.join(this.dir, KEEPER_SOCKET));
    } catch {
      // Already gone.
    }
    const started = Date.now();
    const timer = setInterval(() => {
      if (this.subscribers.size === 0 || Date.now() - started > LINGER_MS) process.exit(0);
    }, 50);
    timer.unref();
    // Nothing else keeps the keeper alive once its sockets close.
  }

  /**
   * On a full disk, the oldest output makes room for the exit record. A keeper
   * that still cannot write it stays and answers with the exit in its status,
   * so the process never looks lost.
   */
  private writeExitRecord(): void {
    for (;;) {
      try {
        writeJsonAtomically(path.join(this.dir, EXIT_FILE), this.exit);
        return;
      } catch (error) {
        if (!this.log.dropOldestSegment()) {
          process.stderr.write(`keeper: cannot write ${EXIT_FILE}: ${String(error)}\n`);
          this.exitUnrecorded = true;
          return;
        }
        this.exit = { ...this.exit!, droppedBytes: this.log.dropped };
      }
    }
  }

  private accept(socket: net.Socket): void {
    const splitter = new FrameSplitter();
    let request: KeeperRequest | undefined;
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const { kind, payload } of splitter.push(chunk)) {
          if (request === undefined && kind === FrameKind.Json) {
            request = JSON.parse(payload.toString()) as KeeperRequest;
            if (request.op !== "input") this.handle(socket, request);
          } else if (request?.op === "input" && kind === FrameKind.Input) {
            this.writeInput(socket, payload);
          } else {
            throw new KeeperError("INVALID_ARGUMENT", "unexpected frame");
          }
        }
      } catch (error) {
        reply(socket, error);
      }
    });
  }

  private handle(socket: net.Socket, request: KeeperRequest): void {
    switch (request.op) {
      case "status":
        return reply(socket, { state: this.state() });
      case "wait":
        if (this.exit) return reply(socket, { state: this.state() });
        this.waiters.add(socket);
        socket.once("close", () => this.waiters.delete(socket));
        return;
      case "closeInput":
        if (this.inputOpen) this.kept.stdin.end();
        this.inputOpen = false;
        return reply(socket, {});
      case "signal":
        return reply(socket, this.signal(request.signal));
      case "resize":
        if (!this.kept.control) throw new KeeperError("FAILED_PRECONDITION", `process ${this.spec.id} has no PTY`);
        if (this.exitStatus) throw new KeeperError("FAILED_PRECONDITION", `process ${this.spec.id} has exited`);
        this.kept.control.write(`resize ${request.cols} ${request.rows}\n`);
        return reply(socket, {});
      case "attach": {
        if (request.offset > this.log.total) {
          throw new KeeperError(
            "INVALID_ARGUMENT",
            `offset ${request.offset} is past the end of the output (${this.log.total} bytes)`,
          );
        }
        const subscriber = new Subscriber(this, socket, request.offset, request.follow ? undefined : this.log.total);
        this.subscribers.add(subscriber);
        subscriber.pump();
        return;
      }
      default:
        throw new KeeperError("INVALID_ARGUMENT", `unknown request ${JSON.stringify(request)}`);
    }
  }

  private signal(name: string): object {
    if (this.exitStatus) throw new KeeperError("FAILED_PRECONDITION", `process ${this.spec.id} has exited`);
    try {
      process.kill(-this.kept.groupPid, name as NodeJS.Signals);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH")
        throw new KeeperError("FAILED_PRECONDITION", `process ${this.spec.id} has exited`);
      throw error;
    }
    return {};
  }

  private writeInput(socket: net.Socket, data: Buffer): void {
    if (!this.inputOpen) throw new KeeperError("FAILED_PRECONDITION", `the input of process ${this.spec.id} is closed`);
    const waiting = this.kept.stdin.writableLength;
    if (waiting + data.length > MAX_PENDING_INPUT_BYTES) {
      throw new KeeperError(
        "RESOURCE_EXHAUSTED",
        `process ${this.spec.id} is not reading its input: ${waiting} bytes are still waiting`,
      );
    }
    this.kept.stdin.write(data);
    reply(socket, {});
  }
}

function reply(socket: net.Socket, result: unknown): void {
  if (result instanceof KeeperError) {
    socket.end(jsonFrame(FrameKind.Json, { error: { code: result.code, message: result.message } }));
  } else if (result instanceof Error) {
    socket.end(jsonFrame(FrameKind.Json, { error: { code: "INTERNAL", message: result.message } }));
  } else {
    socket.end(jsonFrame(FrameKind.Json, { ok: true, ...(result as object) }));
  }
}

/** The keeper process's entry point: the spec arrives as one JSON line on stdin. */
export async function runKeeper(dir: string): Promise<void> {
  // Its stdout is the agent's pipe, gone once the agent is; its stderr a file
  // on a disk that may be full. Neither may end the keeper.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  const tell = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  let spec: KeeperSpec;
  try {
    spec = JSON.parse(await readLine(process.stdin)) as KeeperSpec;
  } catch (error) {
    tell({ error: { code: "INTERNAL", message: `keeper: bad spec: ${String(error)}` } });
    process.exit(1);
  }
  try {
    const kept = await startChild(spec);
    const keeper = new Keeper(dir, spec, kept);
    const record = await keeper.serve();
    tell({ ok: true, record });
  } catch (error) {
    const code = error instanceof StartFailure ? error.code : "INTERNAL";
    tell({ error: { code, message: error instanceof Error ? error.message : String(error) } });
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100);
    return;
  }
  process.stdin.destroy();
}

function readLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    input.setEncoding("utf8");
    input.on("data", (chunk: string) => {
      text += chunk;
      const newline = text.indexOf("\n");
      if (newline >= 0) resolve(text.slice(0, newline));
    });
    input.once("end", () => reject(new Error("no spec on stdin")));
  });
}
