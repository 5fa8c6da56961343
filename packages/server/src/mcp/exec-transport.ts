import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

import type { ExecEvent } from "../client/index.js";
import { UnavailableError } from "../errors.js";
import { StderrLines, type StderrLinesOptions } from "./stderr-lines.js";

/** The part of the client's ExecHandle a transport needs. */
export interface ExecStream extends AsyncIterable<ExecEvent> {
  sendStdin(data: Uint8Array | string): Promise<void>;
  closeStdin(): void;
  cancel(): void;
}

/** Why a transport ended. */
export type ExecTransportEnd =
  { kind: "exited"; exitCode: number } | { kind: "failed"; error: Error } | { kind: "closed" };

export interface ExecTransportOptions {
  /** Each non-empty stderr line, cut to a bounded length. */
  onStderrLine?: (line: string) => void;
  stderr?: StderrLinesOptions;
  /** After close, how long the server gets to exit on end of input before it is killed. Default 1000 ms. */
  closeGraceMs?: number;
  /**
   * The most stdout bytes held for a line not yet ended by a newline (the
   * longest message accepted); past it the transport ends, failed. Default
   * DEFAULT_MAX_LINE_BYTES.
   */
  maxMessageBytes?: number;
}

/**
 * 1 MiB: a server's line is held whole until its newline comes, so this is
 * what one session can make the host hold; the SDK's own default, 10 MiB,
 * times the sessions a bot may open was hundreds of MB.
 */
export const DEFAULT_MAX_LINE_BYTES = 2 ** 20;

/** gRPC messages stay well under its 4 MiB limit whatever a request weighs. */
const STDIN_CHUNK_BYTES = 64 * 1024;

/**
 * An MCP transport over one Exec stream of a bot's agent: newline-delimited
 * JSON-RPC on the process's stdin and stdout, framed by the SDK's own
 * ReadBuffer and serializeMessage (the stdio transport's rules), with stderr
 * going to the log. The stream has no timeout: a stdio server lives as long
 * as its session (the original's 30 s default killed every stdio server).
 */
export class ExecTransport implements Transport {
  onclose?: Transport["onclose"];
  onerror?: Transport["onerror"];
  onmessage?: Transport["onmessage"];
  /** Set by the SDK Client once initialize is answered. */
  protocolVersion?: string;
  /** Why the transport ended; undefined while it runs. */
  end?: ExecTransportEnd;
  /** The process's exit code once the agent reported it, whoever ended the transport. */
  exitCode?: number;
  /** Settles once the exec stream is over: the process is gone, or the stream failed. */
  readonly finished: Promise<void>;

  private readonly readBuffer: ReadBuffer;
  private readonly maxMessageBytes: number;
  /** Stdout bytes since the last newline: the line being held. */
  private unfinishedBytes = 0;
  private readonly stderr: StderrLines;
  private readonly closeGraceMs: number;
  private markFinished!: () => void;
  private started = false;
  private sending: Promise<void> = Promise.resolve();
  private closing?: Promise<void>;

  constructor(
    private readonly stream: ExecStream,
    options: ExecTransportOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_LINE_BYTES;
    // The bound is kept here (readStdout), where it counts only the unfinished line.
    this.readBuffer = new ReadBuffer({ maxBufferSize: Number.POSITIVE_INFINITY });
    this.stderr = new StderrLines((line) => options.onStderrLine?.(line), options.stderr);
    this.closeGraceMs = options.closeGraceMs ?? 1000;
    this.finished = new Promise((resolve) => (this.markFinished = resolve));
  }

  /** The server's last non-empty stderr lines, oldest first. */
  get stderrTail(): readonly string[] {
    return this.stderr.tail;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error("ExecTransport already started");
    this.started = true;
    void this.readEvents();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.end) throw new UnavailableError("mcp transport is closed");
    const bytes = Buffer.from(serializeMessage(message));
    // One message at a time, whole: chunks of two messages must never interleave.
    const write = this.sending.then(async () => {
      for (let offset = 0; offset < bytes.length; offset += STDIN_CHUNK_BYTES) {
        await this.stream.sendStdin(bytes.subarray(offset, offset + STDIN_CHUNK_BYTES));
      }
    });
    this.sending = write.catch(() => undefined);
    try {
      await write;
    } catch (error) {
      throw new UnavailableError(`cannot write to the mcp server: ${errorText(error)}`, { cause: error });
    }
  }

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  /**
   * Ends the transport at once (waiting requests fail now), then ends the
   * server: end of input first, a kill of its process group after the grace
   * time. Resolves once the exec stream is over.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.finish({ kind: "closed" });
    if (!this.started) {
      this.stream.cancel();
      this.markFinished();
      return;
    }
    this.stream.closeStdin();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.closeGraceMs)));
    const exited = await Promise.race([this.finished.then(() => true), graceOver]);
    clearTimeout(timer);
    if (!exited) this.stream.cancel();
    await this.finished;
  }

  private async readEvents(): Promise<void> {
    try {
      for await (const event of this.stream) {
        if (event.type === "stdout") this.readStdout(event.data);
        else if (event.type === "stderr") this.stderr.push(event.data);
        else {
          this.stderr.flush();
          this.exitCode = event.exitCode;
          this.finish({ kind: "exited", exitCode: event.exitCode });
        }
      }
    } catch (error) {
      this.stderr.flush();
      this.finish({ kind: "failed", error: new Error(`exec stream failed: ${errorText(error)}`, { cause: error }) });
    } finally {
      this.markFinished();
    }
  }

  private readStdout(chunk: Buffer): void {
    if (this.end) return;
    const lastNewline = chunk.lastIndexOf(10);
    this.unfinishedBytes = lastNewline === -1 ? this.unfinishedBytes + chunk.length : chunk.length - lastNewline - 1;
    if (this.unfinishedBytes > this.maxMessageBytes) {
      const why = `the server wrote more than ${this.maxMessageBytes} bytes to stdout without a newline, the most a stdio MCP message may hold`;
      this.finish({ kind: "failed", error: new Error(why) });
      void this.close();
      return;
    }
    this.readBuffer.append(chunk);
    for (;;) {
      try {
        const message = this.readBuffer.readMessage();
        if (message === null) break;
        this.onmessage?.(message);
      } catch (error) {
        // A line that is not JSON-RPC (a server printing to stdout) is reported and skipped.
        this.onerror?.(error as Error);
      }
      if (this.end) break;
    }
  }

  private finish(end: ExecTransportEnd): void {
    if (this.end) return;
    this.end = end;
    this.readBuffer.clear();
    this.onclose?.();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
