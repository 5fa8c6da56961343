import {
  type AttachEvent,
  OutputStream,
  type ProcessInfo,
  type ProcessSelector,
  ProcessServiceClient,
  ProcessStatus,
} from "@botbox/proto";
import { type ChannelOptions, type ClientReadableStream, type Metadata } from "@grpc/grpc-js";

import { BadRequestError } from "../errors.js";
import { agentStub, bearerMetadata, callUnary, type Unary } from "./agent-channel.js";
import type { AgentClient } from "./agent-client.js";
import { explainAgentTooOld } from "./agent-too-old.js";
import { stubOnChannel } from "./channel-stub.js";
import type { AgentEndpoint } from "./endpoint.js";
import { serverStreamMessages } from "./server-stream.js";

/** A process by the id the agent gave it, or by the tag its starter gave it. */
export type ProcessRef = { id: string } | { tag: string };

export type ProcessCommand = { argv: string[] } | { shell: string };

export interface StartProcessOptions {
  /** 1 to 64 of [A-Za-z0-9_.-]; no two running processes share one. */
  tag?: string;
  /** Absolute, or relative to the data folder. Default: the data folder. */
  cwd?: string;
  /** Added to the agent's environment; a caller's value wins. */
  env?: Record<string, string>;
  /** Run on a pseudo-terminal of this size (stdout and stderr are one stream). */
  pty?: TerminalSize;
  /** Output bytes kept for replay; default the agent's (8 MiB). */
  outputLimitBytes?: number;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface ProcessView {
  id: string;
  tag: string;
  argv: string[];
  shell: string;
  cwd: string;
  pid: number;
  /**
   * `lost`: its keeper was killed from outside before recording an exit;
   * `unresponsive`: its keeper did not answer in time (stopped or starved), the process may run.
   */
  status: "running" | "exited" | "lost" | "unresponsive";
  startedAt: string;
  endedAt?: string;
  /** Once exited: the exit code, or 128 + signal number. */
  exitCode?: number;
  signal?: string;
  pty?: TerminalSize;
  outputBytes: number;
  droppedBytes: number;
  inputOpen: boolean;
}

export type ProcessEvent =
  | { type: "output"; stream: "stdout" | "stderr" | "pty"; offset: number; data: Buffer }
  /** Output in [from, to) was dropped (the per-process cap) before this reader got it. */
  | { type: "dropped"; from: number; to: number }
  | { type: "exit"; process: ProcessView };

const STATUS_NAMES = {
  [ProcessStatus.PROCESS_STATUS_RUNNING]: "running",
  [ProcessStatus.PROCESS_STATUS_EXITED]: "exited",
  [ProcessStatus.PROCESS_STATUS_LOST]: "lost",
  [ProcessStatus.PROCESS_STATUS_UNRESPONSIVE]: "unresponsive",
} as const;
const STREAM_NAMES = {
  [OutputStream.OUTPUT_STREAM_STDOUT]: "stdout",
  [OutputStream.OUTPUT_STREAM_STDERR]: "stderr",
  [OutputStream.OUTPUT_STREAM_PTY]: "pty",
} as const;

/**
 * The agent's process supervisor (docs/processes.md): processes that outlive
 * the call that started them, the host server and the agent itself.
 */
export class ProcessClient {
  private readonly stub: ProcessServiceClient;

  constructor(
    readonly endpoint: AgentEndpoint,
    channelOptions: ChannelOptions = {},
  ) {
    this.stub = agentStub(ProcessServiceClient, endpoint, channelOptions);
  }

  async start(command: ProcessCommand, options: StartProcessOptions = {}): Promise<ProcessView> {
    const env = Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`);
    const info = await this.unary(this.stub.start, {
      argv: "argv" in command ? command.argv : [],
      shell: "shell" in command ? command.shell : "",
      tag: options.tag ?? "",
      cwd: options.cwd ?? "",
      env,
      pty: options.pty,
      outputLimitBytes: options.outputLimitBytes ?? 0,
    });
    return processView(info);
  }

  async list(options: { tag?: string } = {}): Promise<ProcessView[]> {
    const { processes } = await this.unary(this.stub.list, { tag: options.tag ?? "" });
    return processes.map(processView);
  }

  async get(process: ProcessRef): Promise<ProcessView> {
    return processView(await this.unary(this.stub.get, selector(process)));
  }

  /**
   * Output from `offset` (default 0: everything still kept), then, with
   * `follow` (the default), live output until the process exits. Breaking
   * out of the loop, or `signal`, ends the call; the process keeps running.
   */
  async *attach(
    process: ProcessRef,
    options: { offset?: number; follow?: boolean; signal?: AbortSignal } = {},
  ): AsyncGenerator<ProcessEvent, void, undefined> {
    const call: ClientReadableStream<AttachEvent> = this.stub.attach(
      { process: selector(process), offset: options.offset ?? 0, follow: options.follow ?? true },
      this.metadata(),
    );
    for await (const message of serverStreamMessages(call, options.signal)) {
      const event = message.event;
      if (event?.$case === "output") {
        const { stream, offset, data } = event.value;
        yield { type: "output", stream: STREAM_NAMES[stream as keyof typeof STREAM_NAMES], offset, data };
      } else if (event?.$case === "dropped") {
        yield { type: "dropped", from: event.value.fromOffset, to: event.value.toOffset };
      } else if (event?.$case === "exited") {
        yield { type: "exit", process: processView(event.value) };
      }
    }
  }

  /** Writes to the process's stdin (at most 1 MiB a call); waits until the keeper took it. */
  async sendInput(process: ProcessRef, data: Uint8Array | string): Promise<void> {
    const bytes =
      typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await this.unary(this.stub.sendInput, { process: selector(process), data: bytes });
  }

  async closeInput(process: ProcessRef): Promise<void> {
    await this.unary(this.stub.closeInput, selector(process));
  }

  /** Sends a signal (e.g. "SIGTERM" or "INT") to the process's whole process group. */
  async signal(process: ProcessRef, signal: string): Promise<void> {
    await this.unary(this.stub.signal, { process: selector(process), signal });
  }

  /** The process once it exited, or as it is after `timeoutMs` (at most 600000). */
  async wait(process: ProcessRef, timeoutMs: number): Promise<ProcessView> {
    const info = await this.unary(this.stub.wait, { process: selector(process), timeoutMs }, timeoutMs + 10_000);
    return processView(info);
  }

  async resize(process: ProcessRef, size: TerminalSize): Promise<void> {
    await this.unary(this.stub.resize, { process: selector(process), size });
  }

  close(): void {
    this.stub.close();
  }

  private metadata(): Metadata {
    return bearerMetadata(this.endpoint);
  }

  private unary<Req, Res>(method: Unary<Req, Res>, request: Req, timeoutMs?: number): Promise<Res> {
    return callUnary(this.stub, method, request, this.endpoint, timeoutMs).catch((error: unknown) => {
      throw explainAgentTooOld(error, "process supervisor");
    });
  }
}

function selector(process: ProcessRef): ProcessSelector {
  if ("id" in process && process.id !== "") return { id: process.id, tag: "" };
  if ("tag" in process && process.tag !== "") return { id: "", tag: process.tag };
  throw new BadRequestError("a process needs an id or a tag");
}

function processView(info: ProcessInfo): ProcessView {
  return {
    id: info.id,
    tag: info.tag,
    argv: info.argv,
    shell: info.shell,
    cwd: info.cwd,
    pid: info.pid,
    status: STATUS_NAMES[info.status as keyof typeof STATUS_NAMES] ?? "lost",
    startedAt: info.startedAt,
    ...(info.endedAt ? { endedAt: info.endedAt } : {}),
    ...(info.exitCode !== undefined ? { exitCode: info.exitCode } : {}),
    ...(info.signal ? { signal: info.signal } : {}),
    ...(info.pty ? { pty: { cols: info.pty.cols, rows: info.pty.rows } } : {}),
    outputBytes: info.outputBytes,
    droppedBytes: info.droppedBytes,
    inputOpen: info.inputOpen,
  };
}

/** The process stub of a pooled agent client, on its channel. */
export function processClientFor(agent: AgentClient): ProcessClient {
  return stubOnChannel(agent, ProcessClient);
}
