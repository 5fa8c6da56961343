import { randomUUID } from "node:crypto";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { AnyObjectSchema, SchemaOutput } from "@modelcontextprotocol/sdk/server/zod-compat.js";
import {
  type CallToolResult,
  CallToolResultSchema,
  ListRootsRequestSchema,
  ListToolsResultSchema,
  McpError,
  type Notification,
  type Request,
  type Result,
  ResultSchema,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";

import { BadRequestError } from "../errors.js";
import {
  errorEnvelope,
  type JsonRpcCallRequest,
  type JsonRpcEnvelope,
  mcpErrorEnvelope,
  requestIdOf,
  resultEnvelope,
  serverMessageOf,
} from "./envelope.js";
import { McpCancelledError, McpServerError, McpSessionClosedError, McpTimeoutError } from "./errors.js";
import { ExecTransport } from "./exec-transport.js";
import type { McpCallOptions, McpLogger, StdioSessionStart } from "./session-config.js";
import { buildServerCommand } from "./shell-command.js";

/** Node's timers overflow past this and would fire at once. */
const NO_SDK_TIMEOUT = 2 ** 31 - 1;

/**
 * One stdio MCP server running inside a bot's workspace, reached through the
 * agent's Exec stream and spoken to by the SDK's own Client. The handshake
 * is done before `start` returns; the session then lives until it is closed
 * or its server exits, whatever became of the request that started it.
 */
export class StdioSession {
  readonly id = randomUUID();
  readonly botId: string;
  readonly name: string;
  /** Milliseconds since the epoch of the last call or notification. */
  lastUsedAt = Date.now();
  /** Why the session ended; undefined while it is open. */
  closeReason?: string;
  /** Settles once the session is closed and its server process is gone. */
  readonly closed: Promise<void>;

  private readonly sdk: Client<Request, Notification, Result>;
  private readonly transport: ExecTransport;
  private readonly logger: McpLogger;
  private readonly requestTimeoutMs: number;
  /** How to cancel requests waiting for an answer, by the caller's JSON-encoded id (or a private key). */
  private readonly inflight = new Map<string, () => void>();
  private waiting = 0;
  private readonly closeListeners: ((session: StdioSession) => void)[] = [];
  private closeError?: McpSessionClosedError;

  private constructor(options: StdioSessionStart) {
    this.botId = options.botId;
    this.name = options.name;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.logger = options.logger;
    const stream = options.client.execStream(buildServerCommand(options.command, options.args), {
      workDir: options.cwd?.trim() || undefined,
      env: cleanEnv(options.env),
      // -1: no timeout. The original sent 0, which the agent takes as its 30 s
      // default, so every server was killed after 30 s.
      timeoutSeconds: -1,
    });
    this.transport = new ExecTransport(stream, {
      closeGraceMs: options.closeGraceMs,
      maxMessageBytes: options.maxLineBytes,
      onStderrLine: (line) => this.logger.warn({ ...this.logFields, line }, "mcp stderr"),
    });
    this.closed = this.transport.finished;
    this.sdk = new Client(options.clientInfo ?? { name: "botbox", version: "0.1.0" }, {
      capabilities: { roots: { listChanged: true } },
    });
    // The original dropped server-to-client requests. Ping is
    // answered by the SDK itself; anything else unknown gets "method not found".
    const roots = [{ uri: options.rootsUri ?? "file:///data", name: "data" }];
    this.sdk.setRequestHandler(ListRootsRequestSchema, () => {
      this.logger.debug(this.logFields, "mcp roots/list answered");
      return { roots };
    });
    this.sdk.fallbackNotificationHandler = async (notification) => {
      this.logger.debug({ ...this.logFields, method: notification.method }, "mcp notification");
      options.onNotification?.(notification);
    };
    this.sdk.onerror = (error) => this.logger.warn({ ...this.logFields, err: error }, "mcp protocol error");
    this.sdk.onclose = () => this.ended();
  }

  /** Starts the server and completes the MCP handshake, or fails saying why (exit code and stderr included). */
  static async start(options: StdioSessionStart): Promise<StdioSession> {
    if (options.command.trim() === "") throw new BadRequestError("command is required");
    const session = new StdioSession(options);
    try {
      await session.sdk.connect(session.transport, { timeout: options.initTimeoutMs ?? 60_000 });
    } catch (error) {
      // The SDK closes the transport itself when initialize fails; unless the
      // server exited (which says more), the reason is initialize's error.
      await session.transport.close();
      if (session.transport.end?.kind === "closed") {
        const why = error instanceof McpError ? serverMessageOf(error) : (error as Error).message;
        session.closeReason = `initialize failed: ${why}`;
        session.closeError = session.closedError();
      }
      throw session.closeError!;
    }
    session.logger.info({ ...session.logFields, server: session.sdk.getServerVersion() }, "mcp session started");
    return session;
  }

  /** Requests still waiting for their answer. */
  get pendingRequests(): number {
    return this.waiting;
  }

  /** The server's exit code, once it exited. */
  get exitCode(): number | undefined {
    return this.transport.exitCode;
  }

  /**
   * Sends one JSON-RPC request and answers with a whole response envelope
   * carrying the caller's id; a server's JSON-RPC error is an envelope too.
   * Throws only when there can be no answer: the session is closed or ends,
   * the request times out or is cancelled, or the request has no id.
   */
  async call(request: JsonRpcCallRequest, options: McpCallOptions = {}): Promise<JsonRpcEnvelope> {
    const id = requestIdOf(request);
    this.lastUsedAt = Date.now();
    if (request.jsonrpc !== undefined && request.jsonrpc !== "2.0") {
      return errorEnvelope(id, -32600, "invalid jsonrpc version");
    }
    const { method, params } = request;
    if (typeof method !== "string" || method === "") return errorEnvelope(id, -32601, "method not found");
    if (!isParams(params)) return errorEnvelope(id, -32602, "params must be an object");
    this.assertOpen();
    // The SDK Client handshook in start; a caller's own handshake is answered
    // from what the server said then, so the server never sees a second one
    // (the original could send notifications/initialized twice).
    if (method === "initialize") return resultEnvelope(id, this.initializeResult());
    if (method === "notifications/initialized") return resultEnvelope(id, {});
    try {
      const result = await this.request({ method, params }, ResultSchema, options, JSON.stringify(id));
      return resultEnvelope(id, result);
    } catch (error) {
      if (error instanceof McpError) return mcpErrorEnvelope(id, error);
      throw error;
    }
  }

  /**
   * Sends a notification. The caller's notifications/initialized is dropped
   * (the SDK sent one), and its notifications/cancelled cancels the caller's
   * own request: the server only ever sees the SDK's request ids.
   */
  async notify(message: JsonRpcCallRequest): Promise<void> {
    this.lastUsedAt = Date.now();
    const { method, params } = message;
    if (typeof method !== "string" || method === "") throw new BadRequestError("notification method is required");
    if (!isParams(params)) throw new BadRequestError("notification params must be an object");
    this.assertOpen();
    if (method === "notifications/initialized") return;
    if (method === "notifications/cancelled") {
      this.inflight.get(JSON.stringify(params?.requestId))?.();
      return;
    }
    await this.sdk.notification({ method, params });
  }

  /** Every tool of the server, all pages. */
  async listTools(options: McpCallOptions = {}): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.helperRequest(
        { method: "tools/list", params: cursor === undefined ? undefined : { cursor } },
        ListToolsResultSchema,
        options,
      );
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  }

  /** Calls a tool; a tool's own failure is a result with isError, a protocol error throws McpServerError. */
  async callTool(
    name: string,
    args: Record<string, unknown> = {},
    options: McpCallOptions = {},
  ): Promise<CallToolResult> {
    return this.helperRequest(
      { method: "tools/call", params: { name, arguments: args } },
      CallToolResultSchema,
      options,
    );
  }

  /** Calls `listener` once, when the session ends (at once if it has). */
  onClose(listener: (session: StdioSession) => void): void {
    if (this.closeError) queueMicrotask(() => listener(this));
    else this.closeListeners.push(listener);
  }

  /** Ends the session: waiting calls fail now, the server gets end of input, then is killed. */
  async close(reason = "closed"): Promise<void> {
    this.closeReason ??= reason;
    await this.transport.close();
  }

  private get logFields(): object {
    return { botId: this.botId, mcpSession: this.id, mcpServer: this.name };
  }

  private initializeResult(): Record<string, unknown> {
    const instructions = this.sdk.getInstructions();
    return {
      protocolVersion: this.transport.protocolVersion,
      capabilities: this.sdk.getServerCapabilities() ?? {},
      serverInfo: this.sdk.getServerVersion(),
      ...(instructions === undefined ? {} : { instructions }),
    };
  }

  private async helperRequest<S extends AnyObjectSchema>(
    request: Request,
    schema: S,
    options: McpCallOptions,
  ): Promise<SchemaOutput<S>> {
    try {
      return await this.request(request, schema, options, `helper:${randomUUID()}`);
    } catch (error) {
      if (error instanceof McpError) throw new McpServerError(error.code, serverMessageOf(error));
      throw error;
    }
  }

  /**
   * One request through the SDK. The time limit is ours, not the SDK's: a
   * local timeout must never pass for a server's JSON-RPC error (the SDK
   * reports both as McpError). Progress notifications restart the clock, as
   * the SDK's resetTimeoutOnProgress would.
   */
  private async request<S extends AnyObjectSchema>(
    request: Request,
    schema: S,
    options: McpCallOptions,
    key: string,
  ): Promise<SchemaOutput<S>> {
    this.assertOpen();
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const controller = new AbortController();
    let stopped: "timeout" | "cancelled" | undefined;
    let settled = false;
    const timer = setTimeout(() => {
      stopped = "timeout";
      controller.abort();
    }, timeoutMs);
    const cancel = () => {
      stopped ??= "cancelled";
      controller.abort();
    };
    if (!this.inflight.has(key)) this.inflight.set(key, cancel);
    this.waiting++;
    try {
      return await this.sdk.request(request, schema, {
        signal: controller.signal,
        timeout: NO_SDK_TIMEOUT,
        onprogress: () => {
          if (!settled) timer.refresh();
        },
      });
    } catch (error) {
      if (this.closeError) throw this.closeError;
      if (stopped === "timeout") throw new McpTimeoutError(request.method, timeoutMs);
      if (stopped === "cancelled") throw new McpCancelledError(request.method);
      throw error;
    } finally {
      settled = true;
      this.waiting--;
      clearTimeout(timer);
      if (this.inflight.get(key) === cancel) this.inflight.delete(key);
      this.lastUsedAt = Date.now();
    }
  }

  private assertOpen(): void {
    if (this.closeError) throw this.closeError;
  }

  /** The transport ended, for whatever reason: record why, before waiting calls are failed. */
  private ended(): void {
    if (this.closeError) return;
    const end = this.transport.end;
    if (this.closeReason === undefined) {
      if (end?.kind === "exited") this.closeReason = `server exited with code ${end.exitCode}`;
      else if (end?.kind === "failed") this.closeReason = end.error.message;
      else this.closeReason = "closed";
    }
    this.closeError = this.closedError();
    this.logger.info({ ...this.logFields, reason: this.closeReason }, "mcp session closed");
    for (const listener of this.closeListeners.splice(0)) listener(this);
  }

  private closedError(): McpSessionClosedError {
    const end = this.transport.end;
    const tail = this.transport.stderrTail;
    const lastLines = tail.length > 0 ? `; last stderr:\n${tail.slice(-5).join("\n")}` : "";
    return new McpSessionClosedError(
      `mcp session ${JSON.stringify(this.name)} ended: ${this.closeReason}${lastLines}`,
      end?.kind === "exited" ? end.exitCode : undefined,
      tail,
    );
  }
}

function isParams(params: unknown): params is Record<string, unknown> | undefined {
  return params === undefined || (typeof params === "object" && params !== null && !Array.isArray(params));
}

/** Blank keys are dropped. */
function cleanEnv(env: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).filter(([key]) => key.trim() !== ""));
}
