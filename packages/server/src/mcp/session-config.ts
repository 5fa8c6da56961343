import type { Implementation, Notification } from "@modelcontextprotocol/sdk/types.js";

import type { AgentClient } from "../client/index.js";

/** A stdio MCP server as a bot configures it. */
export interface StdioServerConfig {
  name: string;
  command: string;
  args?: string[];
  /** Passed in the Exec's env field, never as a shell prefix: the original's quoted `'K=V'` prefix became the command name. */
  env?: Record<string, string>;
  /** Resolved like every other path: relative to the bot's data folder. Default: the data folder. */
  cwd?: string;
}

/** The logging a session does: pino's Logger fits. */
export interface McpLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface StdioSessionOptions {
  /** The one root answered to the server's roots/list. Default `file:///data`, the bot's data folder. */
  rootsUri?: string;
  /** How long a request may wait for its answer; progress notifications restart the clock. Default 60 s. */
  requestTimeoutMs?: number;
  /** How long the server may take to answer initialize (npx may download first). Default 60 s. */
  initTimeoutMs?: number;
  /** After close, how long the server gets to exit on end of input before it is killed. Default 1 s. */
  closeGraceMs?: number;
  /**
   * The most bytes of stdout held while a line is unfinished: the longest
   * message the server may send. Past it the session is closed, saying so.
   * Default 1 MiB (DEFAULT_MAX_LINE_BYTES).
   */
  maxLineBytes?: number;
  /** Who we are in initialize. Default botbox. */
  clientInfo?: Implementation;
  /** Notifications from the server (log messages, list changes); they are also logged at debug. */
  onNotification?: (notification: Notification) => void;
}

export interface StdioSessionStart extends StdioServerConfig, StdioSessionOptions {
  client: Pick<AgentClient, "execStream">;
  botId: string;
  logger: McpLogger;
}

export interface McpCallOptions {
  /** Overrides the session's requestTimeoutMs for this call. */
  timeoutMs?: number;
}
