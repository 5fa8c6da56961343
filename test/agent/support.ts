// Helpers for the agent's end-to-end tests: a raw generated client for an
// address, promisified unary calls, and collectors for the streaming calls.
// Everything here talks to the real bundled agent over the wire. The client
// and messages come straight from the ts-proto output, not from the
// package's public face, so the agent's hand-written codecs are checked
// against the generated protobuf encoding.
import assert from "node:assert/strict";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

import {
  type ClientDuplexStream,
  type ClientWritableStream,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";

import {
  ContainerServiceClient,
  DeleteFileRequest,
  type DeleteFileResponse,
  ExecInput,
  type ExecOutput,
  ExecOutput_Stream,
  type InfoResponse,
  ListDirRequest,
  type ListDirResponse,
  MkdirRequest,
  type MkdirResponse,
  ReadFileRequest,
  type ReadFileResponse,
  RenameRequest,
  type RenameResponse,
  StatRequest,
  type StatResponse,
  WriteFileRequest,
  type WriteFileResponse,
  WriteRawChunk,
  type WriteRawResponse,
} from "../../proto/src/gen/mcpcontainer.js";
import { type AgentProcess, type AgentProcessOptions, startAgentProcess } from "../support/agent-process.js";
import { type SharedAgentOptions, sharedAgentProcess } from "../support/shared-agent.js";

export { status };
export { ExecInput, ExecOutput_Stream, type FileEntry, WriteRawChunk } from "../../proto/src/gen/mcpcontainer.js";

/** `authorization: Bearer <token>` metadata, or empty metadata without a token. */
export function bearer(token?: string): Metadata {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

type Callback<Res> = (error: ServiceError | null, response?: Res) => void;

function promised<Res>(start: (callback: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    start((error, response) => (error ? reject(error) : resolve(response as Res)));
  });
}

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  /** From the EXIT message; undefined when none arrived. */
  exitCode: number | undefined;
  messages: ExecOutput[];
}

export interface RunningExec {
  call: ClientDuplexStream<ExecInput, ExecOutput>;
  /** Settles when the call ends: the collected output, or the call's ServiceError. */
  result: Promise<ExecResult>;
  send(message: Partial<ExecInput>): void;
}

/** A real agent process and a RawAgentClient dialled to it (no token). */
export async function startAgentWithRawClient(
  options: AgentProcessOptions,
): Promise<{ agent: AgentProcess; client: RawAgentClient }> {
  const agent = await startAgentProcess(options);
  return { agent, client: new RawAgentClient(agent.address) };
}

/** The process's shared agent (test/support/shared-agent.ts) and a RawAgentClient with its token, if any. */
export async function sharedAgentWithRawClient(
  options: SharedAgentOptions,
): Promise<{ agent: AgentProcess; client: RawAgentClient }> {
  const agent = await sharedAgentProcess(options);
  return { agent, client: new RawAgentClient(agent.address, options.token) };
}

/**
 * A raw ContainerServiceClient plus promisified calls. Every call carries the
 * client's metadata unless one is passed explicitly.
 */
export class RawAgentClient {
  readonly client: ContainerServiceClient;

  constructor(
    address: string,
    private readonly token?: string,
  ) {
    this.client = new ContainerServiceClient(address, credentials.createInsecure());
  }

  metadata(): Metadata {
    return bearer(this.token);
  }

  close(): void {
    this.client.close();
  }

  readFile(request: Partial<ReadFileRequest>, metadata = this.metadata()): Promise<ReadFileResponse> {
    return promised((cb) => this.client.readFile(ReadFileRequest.fromPartial(request), metadata, cb));
  }

  writeFile(path: string, content: string | Buffer, metadata = this.metadata()): Promise<WriteFileResponse> {
    const request = WriteFileRequest.fromPartial({ path, content: Buffer.from(content) });
    return promised((cb) => this.client.writeFile(request, metadata, cb));
  }

  listDir(request: Partial<ListDirRequest>, metadata = this.metadata()): Promise<ListDirResponse> {
    return promised((cb) => this.client.listDir(ListDirRequest.fromPartial(request), metadata, cb));
  }

  stat(path: string, metadata = this.metadata()): Promise<StatResponse> {
    return promised((cb) => this.client.stat(StatRequest.fromPartial({ path }), metadata, cb));
  }

  mkdir(path: string, metadata = this.metadata()): Promise<MkdirResponse> {
    return promised((cb) => this.client.mkdir(MkdirRequest.fromPartial({ path }), metadata, cb));
  }

  rename(oldPath: string, newPath: string, metadata = this.metadata()): Promise<RenameResponse> {
    return promised((cb) => this.client.rename(RenameRequest.fromPartial({ oldPath, newPath }), metadata, cb));
  }

  deleteFile(path: string, recursive = false, metadata = this.metadata()): Promise<DeleteFileResponse> {
    return promised((cb) => this.client.deleteFile(DeleteFileRequest.fromPartial({ path, recursive }), metadata, cb));
  }

  info(metadata = this.metadata()): Promise<InfoResponse> {
    return promised((cb) => this.client.info({}, metadata, cb));
  }

  /** Every DataChunk of a ReadRaw call, in order. */
  readRaw(path: string, metadata = this.metadata()): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const call = this.client.readRaw({ path }, metadata);
      call.on("data", (chunk: { data: Buffer }) => chunks.push(chunk.data));
      call.on("error", reject);
      call.on("end", () => resolve(chunks));
    });
  }

  /** Opens a WriteRaw call; the caller writes chunks and ends (or cancels) it. */
  startWriteRaw(metadata = this.metadata()): {
    call: ClientWritableStream<WriteRawChunk>;
    result: Promise<WriteRawResponse>;
    send(chunk: Partial<WriteRawChunk>): boolean;
  } {
    let call!: ClientWritableStream<WriteRawChunk>;
    const result = promised<WriteRawResponse>((cb) => {
      call = this.client.writeRaw(metadata, cb);
    });
    return { call, result, send: (chunk) => call.write(WriteRawChunk.fromPartial(chunk)) };
  }

  /** A whole WriteRaw upload: sends the chunks, half-closes, returns the response. */
  async writeRaw(chunks: Partial<WriteRawChunk>[], metadata = this.metadata()): Promise<WriteRawResponse> {
    const { call, result, send } = this.startWriteRaw(metadata);
    for (const chunk of chunks) send(chunk);
    call.end();
    return result;
  }

  /**
   * Opens an Exec call and sends `config` as the first message unless it is
   * undefined. Output is collected until the call ends.
   */
  startExec(config: Partial<ExecInput> | undefined, metadata = this.metadata()): RunningExec {
    const call = this.client.exec(metadata);
    const result = new Promise<ExecResult>((resolve, reject) => {
      const messages: ExecOutput[] = [];
      call.on("data", (message: ExecOutput) => messages.push(message));
      call.on("error", reject);
      call.on("end", () => {
        const pick = (stream: ExecOutput_Stream) =>
          Buffer.concat(messages.filter((m) => m.stream === stream).map((m) => m.data));
        const exit = messages.filter((m) => m.stream === ExecOutput_Stream.EXIT);
        resolve({
          stdout: pick(ExecOutput_Stream.STDOUT),
          stderr: pick(ExecOutput_Stream.STDERR),
          exitCode: exit.at(-1)?.exitCode,
          messages,
        });
      });
    });
    // Keep an unobserved failure (e.g. a cancelled call) from crashing the run.
    result.catch(() => undefined);
    const send = (message: Partial<ExecInput>) => {
      call.write(ExecInput.fromPartial(message));
    };
    if (config !== undefined) send(config);
    return { call, result, send };
  }

  /** Runs a command to completion: config, optional later stdin messages, half-close. */
  exec(
    config: Partial<ExecInput>,
    options: { stdin?: (string | Buffer)[]; metadata?: Metadata } = {},
  ): Promise<ExecResult> {
    const running = this.startExec(config, options.metadata ?? this.metadata());
    for (const data of options.stdin ?? []) running.send({ stdinData: Buffer.from(data) });
    running.call.end();
    return running.result;
  }
}

/** Asserts that `promise` fails with the gRPC `code` and, if given, a matching details text. */
export async function rejectsWithCode(
  promise: Promise<unknown>,
  code: status,
  details?: string | RegExp,
): Promise<ServiceError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  const serviceError = caught as ServiceError;
  assert.equal(
    status[serviceError.code] ?? serviceError.code,
    status[code],
    `expected ${status[code]}, got ${status[serviceError.code]}: ${serviceError.details}`,
  );
  if (typeof details === "string") assert.equal(serviceError.details, details);
  else if (details) assert.match(serviceError.details, details);
  return serviceError;
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 2_000,
  intervalMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/**
 * True when no live process has this pid. A killed orphan may linger as a
 * zombie when the environment's PID 1 does not reap; a zombie runs nothing,
 * so it counts as gone.
 */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Names of the agent's temporary files (`.<name>.botbox-<hex>.tmp`) in a folder. */
export function tempFilesIn(folder: string): string[] {
  return readdirSync(folder).filter((name) => /^\..*\.botbox-.*\.tmp$/.test(name));
}

export const RFC3339_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/;

/** `%6d\t<text>\n`, the ReadFile line format. */
export const formatLine = (n: number, text: string) => `${String(n).padStart(6, " ")}\t${text}\n`;

/** A gRPC length-prefixed message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

/**
 * Opens a ContainerService call on a raw HTTP/2 connection and sends the
 * encoded messages, for what grpc-js cannot do on purpose: drop the
 * connection mid-call, or reset a stream at a precise moment. Resolves once
 * the connection is up and the messages are on their way.
 */
export async function openRawCall(
  address: string,
  method: string,
  messages: Uint8Array[],
  metadata: Record<string, string> = {},
): Promise<{ session: http2.ClientHttp2Session; stream: http2.ClientHttp2Stream }> {
  const session = http2.connect("http://localhost", {
    createConnection: () =>
      address.startsWith("unix:")
        ? net.connect(address.slice("unix:".length))
        : net.connect(Number(address.slice(address.lastIndexOf(":") + 1)), "127.0.0.1"),
  });
  session.on("error", () => undefined);
  await once(session, "connect");
  const stream = session.request({
    ":method": "POST",
    ":path": `/mcpcontainer.ContainerService/${method}`,
    "content-type": "application/grpc",
    te: "trailers",
    ...metadata,
  });
  stream.on("error", () => undefined);
  for (const message of messages) stream.write(grpcFrame(message));
  return { session, stream };
}
