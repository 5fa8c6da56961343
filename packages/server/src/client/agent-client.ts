import { once } from "node:events";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

import {
  type ContainerServiceClient,
  ContainerServiceFastClient,
  type DataChunk,
  type FileEntry,
  type WriteRawChunk,
} from "@botbox/proto";
import { type ChannelOptions, type connectivityState, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";

import { BadRequestError } from "../errors.js";
import { type AgentEndpoint, grpcTarget } from "./endpoint.js";
import { mapGrpcError } from "./error-mapping.js";
import { execConfig, ExecHandle, type ExecOptions, type ExecResult } from "./exec-stream.js";

export type { FileEntry };

/** Metadata that asks the agent to commit an upload only on a chunk with commit=true. */
export const EXPLICIT_COMMIT_HEADER = "botbox-explicit-commit";

/** How long a failed upload waits for the agent to confirm it dropped the partial file. */
const ABORT_ANSWER_MS = 5_000;

/** Spec 1.7: uploads move 64 KiB per message. */
export const RAW_CHUNK_BYTES = 64 * 1024;

export interface ReadFileOptions {
  /** 1-based first line; values below 1 mean 1. */
  lineOffset?: number;
  /** Lines to return, 1 to 200; other values mean 200. */
  lineCount?: number;
}

export interface ReadFileResult {
  /** Lines formatted as `%6d\t<text>\n`, at most 5120 bytes. */
  content: string;
  totalLines: number;
  binary: boolean;
}

export interface AgentInfo {
  botId: string;
  agentVersion: string;
  dataDir: string;
  startedAt: string;
}

export interface CallOptions {
  /** Milliseconds before the call fails with DEADLINE_EXCEEDED. */
  timeoutMs?: number;
}

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline?: Date },
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/**
 * A typed client for one agent. Every failure, streams included, reaches the
 * caller as a botbox error (errors.ts) mapped by client/error-mapping.ts.
 */
export class AgentClient {
  readonly endpoint: AgentEndpoint;
  private readonly stub: ContainerServiceClient;

  constructor(endpoint: AgentEndpoint, channelOptions: ChannelOptions = {}) {
    this.endpoint = endpoint;
    this.stub = new ContainerServiceFastClient(grpcTarget(endpoint.address), credentials.createInsecure(), {
      // Unix sockets carry no meaningful authority; give gRPC a stable one.
      ...(endpoint.address.startsWith("unix:") ? { "grpc.default_authority": "localhost" } : {}),
      // A larger HTTP/2 window than the 64 KiB default keeps downloads flowing.
      "grpc-node.flow_control_window": 4 * 2 ** 20,
      ...channelOptions,
    });
  }

  async readFile(path: string, options: ReadFileOptions = {}, call?: CallOptions): Promise<ReadFileResult> {
    return this.unary(
      this.stub.readFile,
      { path, lineOffset: options.lineOffset ?? 0, nLines: options.lineCount ?? 0 },
      call,
    );
  }

  async writeFile(path: string, content: Uint8Array | string, call?: CallOptions): Promise<void> {
    const data =
      typeof content === "string"
        ? Buffer.from(content)
        : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    await this.unary(this.stub.writeFile, { path, content: data }, call);
  }

  async listDir(path: string, options: { recursive?: boolean } = {}, call?: CallOptions): Promise<FileEntry[]> {
    const response = await this.unary(this.stub.listDir, { path, recursive: options.recursive ?? false }, call);
    return response.entries;
  }

  async stat(path: string, call?: CallOptions): Promise<FileEntry> {
    const { entry } = await this.unary(this.stub.stat, { path }, call);
    if (!entry) throw mapGrpcError(new Error("stat returned no entry"));
    return entry;
  }

  async mkdir(path: string, call?: CallOptions): Promise<void> {
    await this.unary(this.stub.mkdir, { path }, call);
  }

  async rename(oldPath: string, newPath: string, call?: CallOptions): Promise<void> {
    await this.unary(this.stub.rename, { oldPath, newPath }, call);
  }

  async deleteFile(path: string, options: { recursive?: boolean } = {}, call?: CallOptions): Promise<void> {
    await this.unary(this.stub.deleteFile, { path, recursive: options.recursive ?? false }, call);
  }

  async info(call?: CallOptions): Promise<AgentInfo> {
    return this.unary(this.stub.info, {}, call);
  }

  /** Runs a command to completion. Stdin, if given, is sent and then closed. */
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const handle = this.execStream(command, options);
    handle.closeStdin();
    return handle.collect();
  }

  /** Starts a command and hands back its streams; stdin stays open until closeStdin(). */
  execStream(command: string, options: ExecOptions = {}): ExecHandle {
    const config = execConfig(command, options);
    const call = this.stub.exec(this.metadata());
    call.write(config);
    return new ExecHandle(call);
  }

  /**
   * Opens a file for streaming. Fails here, not on the first read, when the
   * file is missing (the original deferred that error, spec 2.1).
   */
  async readRaw(path: string): Promise<Readable> {
    if (path === "") throw new BadRequestError("path is required");
    const call = this.stub.readRaw({ path }, this.metadata());
    let ended = false;
    let handedOut = false;
    const output = new Readable({
      // Flow control: gRPC pauses while the reader is behind.
      read: () => call.resume(),
      destroy: (error, callback) => {
        if (!ended) call.cancel();
        callback(error);
      },
    });
    // Wait for the first message, the end, or an error before handing the
    // stream out, so a missing file fails here.
    await new Promise<void>((resolve, reject) => {
      call.on("data", (message: DataChunk) => {
        resolve();
        if (!output.push(message.data)) call.pause();
      });
      call.on("end", () => {
        ended = true;
        resolve();
        output.push(null);
      });
      call.on("error", (error) => {
        ended = true;
        const failure = mapGrpcError(error) as Error;
        // Before the stream is handed out the caller gets the error from the
        // promise; after, from the stream.
        if (handedOut) output.destroy(failure);
        else reject(failure);
      });
    });
    handedOut = true;
    return output;
  }

  /**
   * Uploads a stream into a file, atomically: the agent only replaces the
   * target once every byte arrived. An empty source makes an empty file.
   */
  async writeRaw(
    path: string,
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array | string,
  ): Promise<number> {
    if (path === "") throw new BadRequestError("path is required");
    let settle!: (error: ServiceError | null, bytesWritten: number) => void;
    const done = new Promise<number>((resolve, reject) => {
      settle = (error, bytesWritten) => (error ? reject(mapGrpcError(error)) : resolve(bytesWritten));
    });
    // Failures reach the caller through `return done`; until then nothing
    // awaits it, and an unhandled rejection would end the server.
    void done.catch(() => undefined);
    const metadata = this.metadata();
    // Only a chunk with commit=true completes the upload; a cancel can then
    // never be mistaken for a finished upload (see WriteRawChunk.commit).
    metadata.set(EXPLICIT_COMMIT_HEADER, "1");
    const call = this.stub.writeRaw(metadata, (error, response) => settle(error, Number(response?.bytesWritten ?? 0)));
    const send = async (message: WriteRawChunk) => {
      if (!call.write(message)) await Promise.race([once(call, "drain"), done]);
    };
    try {
      let first = true;
      const chunks =
        typeof source === "string" ? [Buffer.from(source)] : source instanceof Uint8Array ? [source] : source;
      for await (const piece of chunks) {
        const chunk = asBuffer(piece);
        for (let offset = 0; offset < chunk.length; offset += RAW_CHUNK_BYTES) {
          await send({
            path: first ? path : "",
            data: chunk.subarray(offset, offset + RAW_CHUNK_BYTES),
            commit: false,
          });
          first = false;
        }
      }
      // Always a message with the path, so an empty upload creates the file.
      await send({ path: first ? path : "", data: Buffer.alloc(0), commit: true });
    } catch (error) {
      // Ending without the commit chunk makes the agent drop its temporary
      // file and only then answer, so when this throws nothing is left; the
      // old content stays. An agent that does not answer is cancelled.
      call.end();
      const answered = await Promise.race([
        done.then(
          () => true,
          () => true,
        ),
        sleep(ABORT_ANSWER_MS, false, { ref: false }),
      ]);
      if (!answered) call.cancel();
      throw mapGrpcError(error);
    }
    call.end();
    return done;
  }

  /** The channel's connectivity; `true` asks it to connect when idle. */
  connectivityState(tryToConnect = false): connectivityState {
    return this.stub.getChannel().getConnectivityState(tryToConnect);
  }

  /** Calls back once the state differs from `from` (or the deadline passes). */
  watchConnectivity(from: connectivityState, deadline: Date | number, callback: (error?: Error) => void): void {
    this.stub.getChannel().watchConnectivityState(from, deadline, callback);
  }

  close(): void {
    this.stub.close();
  }

  private metadata(): Metadata {
    const metadata = new Metadata();
    if (this.endpoint.token) metadata.set("authorization", `Bearer ${this.endpoint.token}`);
    return metadata;
  }

  private unary<Req, Res>(method: Unary<Req, Res>, request: Req, call?: CallOptions): Promise<Res> {
    const options = call?.timeoutMs === undefined ? {} : { deadline: new Date(Date.now() + call.timeoutMs) };
    return new Promise((resolve, reject) => {
      method.call(this.stub, request, this.metadata(), options, (error, response) =>
        error ? reject(mapGrpcError(error)) : resolve(response),
      );
    });
  }
}

const asBuffer = (chunk: Uint8Array): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
