import { execCommand, type ExecOptions, type ExecResult, execStreaming, type ExecStreamOptions } from "./exec.js";
import { BotFiles } from "./files.js";
import { followAgentLogs, type FollowLogsOptions } from "./logs.js";
import { BotMcp } from "./mcp.js";
import { BotMemory } from "./memory.js";
import { BotProcesses } from "./processes.js";
import { BotSkills } from "./skills.js";
import { BotSnapshots } from "./snapshots.js";
import { Terminal, type TerminalOptions } from "./terminal.js";
import { botPath, type CallOptions, type Transport } from "./transport.js";
import type { BotInfo, BotLogs, ContainerInfo, PortLink } from "./types.js";
import { type FileChangeEvent, watchFiles, type WatchOptions } from "./watch.js";

/**
 * One bot: its lifecycle, commands, files, processes, terminal, watch,
 * snapshots, MCP, ports, skills, memory and /data archive. Sub-APIs are
 * readonly fields over the one transport, as the E2B SDK's `sandbox.files`.
 */
export class Bot {
  readonly id: string;
  readonly files: BotFiles;
  readonly processes: BotProcesses;
  readonly snapshots: BotSnapshots;
  readonly mcp: BotMcp;
  readonly skills: BotSkills;
  readonly memory: BotMemory;
  readonly ports: { link: (port: number, options?: { ttlSeconds?: number } & CallOptions) => Promise<PortLink> };

  constructor(
    private readonly transport: Transport,
    /** The bot as last read (create, get, list, refresh); only `id` for a `box.bots.handle`. */
    public info: Partial<BotInfo> & { id: string },
  ) {
    this.id = info.id;
    this.files = new BotFiles(transport, this.id);
    this.processes = new BotProcesses(transport, this.id);
    this.snapshots = new BotSnapshots(transport, this.id);
    this.mcp = new BotMcp(transport, this.id);
    this.skills = new BotSkills(transport, this.id);
    this.memory = new BotMemory(transport, this.id);
    this.ports = { link: (port, options) => this.linkPort(port, options) };
  }

  private get path() {
    return { path: { bot_id: this.id } };
  }

  /** Reads the bot again. */
  async refresh(call: CallOptions = {}): Promise<BotInfo> {
    const info = await this.transport.call(this.transport.api.GET("/bots/{bot_id}", { params: this.path, ...call }));
    this.info = info;
    return info;
  }

  /** Creates the bot's container if needed and starts it, waiting until its agent answers. */
  async start(call: CallOptions = {}): Promise<ContainerInfo> {
    return this.transport.call(this.transport.api.POST("/bots/{bot_id}/container", { params: this.path, ...call }));
  }

  /** Stops the bot (SIGTERM, then SIGKILL after `timeout` seconds); its files stay. */
  async stop(options: { timeout?: number } & CallOptions = {}): Promise<ContainerInfo> {
    const { timeout, ...call } = options;
    return this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/container/stop", {
        params: this.path,
        body: timeout === undefined ? {} : { timeout },
        ...call,
      }),
    );
  }

  async container(call: CallOptions = {}): Promise<ContainerInfo> {
    return this.transport.call(this.transport.api.GET("/bots/{bot_id}/container", { params: this.path, ...call }));
  }

  /** Deletes the bot, its container and its data. */
  async delete(call: CallOptions = {}): Promise<void> {
    await this.transport.request("DELETE", botPath(this.id), call);
  }

  /** Runs a shell command line; answers its output and exit code once it ends. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    return execCommand(this.transport, this.id, command, options);
  }

  /** Runs a command with `onStdout`/`onStderr` called as output comes (and not kept); answers the exit code and any output without a callback. */
  execStream(command: string, options?: ExecStreamOptions): Promise<ExecResult> {
    return execStreaming(this.transport, this.id, command, options);
  }

  /** A terminal (PTY) in the bot; `onData` gets its output. */
  terminal(options: TerminalOptions & { onData: (data: Uint8Array) => void }): Promise<Terminal> {
    return Terminal.open(this.transport, this.id, options);
  }

  /** File changes under `path` as an async iterator (break out of the loop, or abort, to stop). */
  watch(path: string, options?: WatchOptions): AsyncGenerator<FileChangeEvent> {
    return watchFiles(this.transport, this.id, path, options);
  }

  /** The newest `tail` lines (default 100) of the bot's agent log, one JSON line per call (docs/metrics.md). */
  async agentLogs(options: { tail?: number } & CallOptions = {}): Promise<BotLogs> {
    const { tail, ...call } = options;
    return this.transport.call(
      this.transport.api.GET("/bots/{bot_id}/logs", {
        params: { ...this.path, query: { source: "agent", ...(tail === undefined ? {} : { tail }) } },
        ...call,
      }),
    );
  }

  /**
   * The newest `tail` lines (default 100) of the agent log, then each new one
   * as it is written (break out of the loop, or abort, to stop).
   */
  followAgentLogs(options?: FollowLogsOptions): AsyncGenerator<string> {
    return followAgentLogs(this.transport, this.id, options);
  }

  /** The bot's /data as a tar.gz stream. */
  async export(call: CallOptions = {}): Promise<ReadableStream<Uint8Array>> {
    return (await this.transport.request("GET", botPath(this.id, "/container/export"), call)).body!;
  }

  /** Unpacks a tar.gz into /data (`replace`: instead of its content). */
  async import(archive: ReadableStream<Uint8Array> | Uint8Array, options: { replace?: boolean } & CallOptions = {}) {
    const { replace, ...call } = options;
    await this.transport.request("POST", botPath(this.id, "/container/import"), {
      query: { replace: replace ?? false },
      body: archive,
      headers: { "content-type": "application/gzip" },
      ...call,
    });
  }

  private async linkPort(port: number, options: { ttlSeconds?: number } & CallOptions = {}): Promise<PortLink> {
    const { ttlSeconds, ...call } = options;
    return this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/ports/{port}/link", {
        params: { path: { bot_id: this.id, port: String(port) } },
        body: ttlSeconds === undefined ? {} : { ttl_seconds: ttlSeconds },
        ...call,
      }),
    );
  }
}
