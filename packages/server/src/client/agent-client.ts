import type { Readable } from "node:stream";

import { type ContainerServiceClient, ContainerServiceFastClient } from "@botbox/proto";
import { type ChannelOptions, type connectivityState, type Metadata } from "@grpc/grpc-js";

import { BadRequestError } from "../errors.js";
import { agentStub, bearerMetadata, callUnary, type Unary } from "./agent-channel.js";
import { explainAgentTooOld } from "./agent-too-old.js";
import type { AgentEndpoint } from "./endpoint.js";
import { mapGrpcError } from "./error-mapping.js";
import { execConfig, ExecHandle, type ExecOptions, type ExecResult } from "./exec-stream.js";
import { type FileEntry, toFileEntry } from "./file-entry.js";
import { type ByteSource, readableOf, upload } from "./raw-transfer.js";
import { TunnelStream } from "./tunnel.js";

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

/**
 * A typed client for one agent. Every failure, streams included, reaches the
 * caller as a botbox error (errors.ts) mapped by client/error-mapping.ts.
 */
export class AgentClient {
  readonly endpoint: AgentEndpoint;
  private readonly stub: ContainerServiceClient;

  constructor(endpoint: AgentEndpoint, channelOptions: ChannelOptions = {}) {
    this.endpoint = endpoint;
    this.stub = agentStub(ContainerServiceFastClient, endpoint, channelOptions);
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
    return response.entries.map(toFileEntry);
  }

  async stat(path: string, call?: CallOptions): Promise<FileEntry> {
    const { entry } = await this.unary(this.stub.stat, { path }, call);
    if (!entry) throw mapGrpcError(new Error("stat returned no entry"));
    return toFileEntry(entry);
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
   * file is missing (the original deferred that error).
   */
  async readRaw(path: string): Promise<Readable> {
    if (path === "") throw new BadRequestError("path is required");
    return readableOf(this.stub.readRaw({ path }, this.metadata()));
  }

  /**
   * As readRaw, for `relativePath` under `root` (absolute, or "" for the
   * agent's data folder), but the agent follows no symbolic link in any
   * component and reads only a regular file: a link on the way is a
   * ForbiddenError. For paths the host relies on staying where they say.
   */
  async readRawNoFollow(root: string, relativePath: string): Promise<Readable> {
    checkAnchored(relativePath);
    return readableOf(this.stub.readRawNoFollow({ root, relativePath }, this.metadata())).catch(explainUnimplemented);
  }

  /**
   * Uploads a stream into a file, atomically: the agent only replaces the
   * target once every byte arrived. An empty source makes an empty file.
   */
  async writeRaw(path: string, source: ByteSource): Promise<number> {
    if (path === "") throw new BadRequestError("path is required");
    return upload(
      (metadata, callback) => this.stub.writeRaw(metadata, callback),
      this.metadata(),
      source,
      (data, first, commit) => ({ path: first ? path : "", data, commit }),
    );
  }

  /**
   * As writeRaw, for `relativePath` under `root`, without following a
   * symbolic link in any component (a ForbiddenError); missing folders below
   * root are made. An existing target must be a regular file and is replaced
   * only with `replace` (otherwise a ConflictError).
   */
  async writeRawNoFollow(
    root: string,
    relativePath: string,
    source: ByteSource,
    options: { replace?: boolean } = {},
  ): Promise<number> {
    checkAnchored(relativePath);
    const replace = options.replace ?? false;
    return upload(
      (metadata, callback) => this.stub.writeRawNoFollow(metadata, callback),
      this.metadata(),
      source,
      (data, first, commit) =>
        first
          ? { root, relativePath, data, commit, replace, abort: false }
          : { root: "", relativePath: "", data, commit, replace: false, abort: false },
    ).catch(explainUnimplemented);
  }

  /**
   * A connection to `port` on the bot's own loopback through the agent
   * (docs/ports.md), once the agent reached it: a PortUnreachableError when
   * nothing answers there, a ForbiddenError for a host off the loopback.
   */
  async openTunnel(port: number, host = "127.0.0.1"): Promise<TunnelStream> {
    const call = this.stub.tunnel(this.metadata());
    const stream = new TunnelStream(call);
    const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    call.write({ frame: { $case: "open", value: { address } } });
    try {
      await stream.connected();
    } catch (error) {
      stream.destroy();
      throw error;
    }
    return stream;
  }

  /** The channel's connectivity; `true` asks it to connect when idle. */
  connectivityState(tryToConnect = false): connectivityState {
    return this.stub.getChannel().getConnectivityState(tryToConnect);
  }

  /** Calls back once the state differs from `from` (or the deadline passes). */
  watchConnectivity(from: connectivityState, deadline: Date | number, callback: (error?: Error) => void): void {
    this.stub.getChannel().watchConnectivityState(from, deadline, callback);
  }

  /**
   * The connection to the agent, for a stub of its other service on the same
   * channel (ProcessClient): one connection per bot, checked by the pool.
   */
  get channel(): ReturnType<ContainerServiceClient["getChannel"]> {
    return this.stub.getChannel();
  }

  close(): void {
    this.stub.close();
  }

  private metadata(): Metadata {
    return bearerMetadata(this.endpoint);
  }

  private unary<Req, Res>(method: Unary<Req, Res>, request: Req, call?: CallOptions): Promise<Res> {
    return callUnary(this.stub, method, request, this.endpoint, call?.timeoutMs);
  }
}

/** The no-follow file calls fail, on an agent older than them, saying so. */
function explainUnimplemented(error: unknown): never {
  throw explainAgentTooOld(error, "no-follow file calls");
}

/** The original bridge's rule for relative_path: relative, clean, not climbing. */
function checkAnchored(relativePath: string): void {
  const parts = relativePath.split("/");
  if (relativePath === "" || parts.some((part) => part === "" || part === "." || part === "..")) {
    throw new BadRequestError(
      `path ${JSON.stringify(relativePath)} must be relative and clean: no empty, "." or ".." component`,
    );
  }
}
