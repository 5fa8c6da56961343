import { once } from "node:events";

import { type ExecInput, type ExecOutput, ExecOutput_Stream } from "@botbox/proto";
import type { ClientDuplexStream } from "@grpc/grpc-js";

import { AgentError, BadRequestError } from "../errors.js";
import { mapGrpcError } from "./error-mapping.js";

export interface ExecOptions {
  /** Folder to run in; relative paths resolve under the data folder. Default: the data folder. */
  workDir?: string;
  /** Added to the agent's environment; a caller's value wins. */
  env?: Record<string, string>;
  /** Seconds; 0 or unset means the agent's default (30 s), a negative value means none. */
  timeoutSeconds?: number;
  /** Sent with the command; the client then closes stdin (exec) or keeps it open (execStream). */
  stdin?: Uint8Array | string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type ExecEvent =
  { type: "stdout"; data: Buffer } | { type: "stderr"; data: Buffer } | { type: "exit"; exitCode: number };

export function execConfig(command: string, options: ExecOptions): ExecInput {
  if (command === "") throw new BadRequestError("command is required");
  const timeoutSeconds = options.timeoutSeconds ?? 0;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds > 2 ** 31 - 1 || timeoutSeconds < -(2 ** 31)) {
    throw new BadRequestError(`timeoutSeconds must be a 32-bit integer, got ${timeoutSeconds}`);
  }
  const env = Object.entries(options.env ?? {}).map(([key, value]) => {
    if (key === "" || key.includes("=") || key.includes("\0") || value.includes("\0")) {
      throw new BadRequestError(`env key ${JSON.stringify(key)} is not a valid variable name`);
    }
    return `${key}=${value}`;
  });
  return {
    command,
    workDir: options.workDir ?? "",
    env,
    timeoutSeconds,
    stdinData: toBuffer(options.stdin),
  };
}

const toBuffer = (data: Uint8Array | string | undefined): Buffer =>
  data === undefined
    ? Buffer.alloc(0)
    : typeof data === "string"
      ? Buffer.from(data)
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * A running command: write to its stdin, read its output as it comes, cancel
 * it. Iterate it for stdout/stderr events ending with one exit event.
 */
export class ExecHandle implements AsyncIterable<ExecEvent> {
  private stdinClosed = false;

  constructor(private readonly call: ClientDuplexStream<ExecInput, ExecOutput>) {
    // Errors surface through iteration; without a listener an error would crash the process.
    call.on("error", () => undefined);
  }

  /** Writes to the command's stdin, waiting while the stream is full. */
  async sendStdin(data: Uint8Array | string): Promise<void> {
    if (this.stdinClosed) throw new BadRequestError("stdin is already closed");
    const message: ExecInput = { command: "", workDir: "", env: [], timeoutSeconds: 0, stdinData: toBuffer(data) };
    if (!this.call.write(message)) await once(this.call, "drain");
  }

  /** Half-closes the stream: the command reads end of input. */
  closeStdin(): void {
    if (this.stdinClosed) return;
    this.stdinClosed = true;
    this.call.end();
  }

  /** Cancels the call; the agent kills the command's whole process group. */
  cancel(): void {
    this.call.cancel();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ExecEvent> {
    let exited = false;
    try {
      for await (const message of this.call as AsyncIterable<ExecOutput>) {
        if (message.stream === ExecOutput_Stream.EXIT) {
          exited = true;
          yield { type: "exit", exitCode: message.exitCode };
        } else {
          yield { type: message.stream === ExecOutput_Stream.STDERR ? "stderr" : "stdout", data: message.data };
        }
      }
    } catch (error) {
      throw mapGrpcError(error);
    } finally {
      // A consumer that stops reading early must not leave the command running.
      if (!exited) this.call.cancel();
    }
    // The original client reported exit code 0 here; an exit status
    // that never came is not a success.
    if (!exited) throw new AgentError("UNKNOWN", "exec stream ended without an exit status");
  }

  /** Reads everything to the end: stdout, stderr and the exit code. */
  async collect(): Promise<ExecResult> {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let exitCode = -1;
    for await (const event of this) {
      if (event.type === "stdout") stdout.push(event.data);
      else if (event.type === "stderr") stderr.push(event.data);
      else exitCode = event.exitCode;
    }
    return { stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8"), exitCode };
  }
}
