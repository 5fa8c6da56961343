import type { AgentProvider } from "../client/index.js";
import { ConflictError, NotFoundError, UnavailableError } from "../errors.js";
import type { McpLogger, StdioServerConfig, StdioSessionOptions, StdioSessionStart } from "./session-config.js";
import type { StdioSession } from "./stdio-session.js";

export interface StdioSessionRegistryOptions {
  /** Hands out the client of a bot's agent (BotManager and AgentPool do). */
  agents: AgentProvider;
  logger: McpLogger;
  /** Sessions unused this long, with nothing in flight, are closed. Default 10 min. */
  idleMs?: number;
  /** How often idle sessions are looked for. Default 30 s, or idleMs if shorter. */
  sweepIntervalMs?: number;
  /** Options for every session (roots, timeouts). */
  session?: StdioSessionOptions;
  /**
   * The most sessions one bot may have open (or starting) at once; one more
   * is refused with a ConflictError (409) until one closes. Default 16
   * (DEFAULT_MAX_SESSIONS_PER_BOT).
   */
  maxSessionsPerBot?: number;
  /** Starts sessions; tests use it to count or wrap starts. */
  startSession?: (start: StdioSessionStart) => Promise<StdioSession>;
}

/** Each session is a process in the bot's workspace and up to a line of buffered output on the host. */
export const DEFAULT_MAX_SESSIONS_PER_BOT = 16;

/**
 * The open stdio MCP sessions of every bot, by connection id (the session's
 * id). Sessions leave on their own when they end; idle ones are reaped
 * (the original never read lastUsedAt, so sessions leaked).
 */
export class StdioSessionRegistry {
  private readonly sessions = new Map<string, StdioSession>();
  private readonly idleMs: number;
  private readonly maxSessionsPerBot: number;
  /** Sessions being started, by bot: they count against the limit before they are registered. */
  private readonly starting = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  private shutDown = false;

  constructor(private readonly options: StdioSessionRegistryOptions) {
    this.idleMs = options.idleMs ?? 10 * 60_000;
    this.maxSessionsPerBot = options.maxSessionsPerBot ?? DEFAULT_MAX_SESSIONS_PER_BOT;
    const interval = options.sweepIntervalMs ?? Math.min(30_000, this.idleMs);
    this.sweeper = setInterval(() => this.reapIdle(), interval);
    this.sweeper.unref();
  }

  /** The number of open sessions, all bots together. */
  get size(): number {
    return this.sessions.size;
  }

  /** Starts a server in the bot's workspace and registers its session once the handshake is done. */
  async create(botId: string, config: StdioServerConfig): Promise<{ connectionId: string; session: StdioSession }> {
    if (this.shutDown) throw new UnavailableError("mcp sessions are shut down");
    const starting = this.starting.get(botId) ?? 0;
    if (this.list(botId).length + starting >= this.maxSessionsPerBot) {
      throw new ConflictError(
        `bot ${botId} has ${this.maxSessionsPerBot} stdio MCP sessions open, the most it may have at once; close one first`,
      );
    }
    this.starting.set(botId, starting + 1);
    let session: StdioSession;
    try {
      const client = await this.options.agents.agentFor(botId);
      // The SDK client is loaded with the first session, not at every server start.
      const start =
        this.options.startSession ??
        (async (options: StdioSessionStart) => (await import("./stdio-session.js")).StdioSession.start(options));
      session = await start({ ...this.options.session, ...config, client, botId, logger: this.options.logger });
    } finally {
      const left = (this.starting.get(botId) ?? 1) - 1;
      if (left > 0) this.starting.set(botId, left);
      else this.starting.delete(botId);
    }
    if (this.shutDown) {
      await session.close("server shutting down");
      throw new UnavailableError("mcp sessions are shut down");
    }
    this.sessions.set(session.id, session);
    session.onClose(() => this.sessions.delete(session.id));
    return { connectionId: session.id, session };
  }

  /** The bot's open session; another bot's, an unknown or an ended one is not found. */
  get(botId: string, connectionId: string): StdioSession {
    const session = this.sessions.get(connectionId);
    if (!session || session.botId !== botId) throw new NotFoundError("mcp connection not found");
    if (session.closeReason !== undefined) throw new NotFoundError("mcp connection closed");
    return session;
  }

  /** The bot's open sessions. */
  list(botId: string): StdioSession[] {
    return [...this.sessions.values()].filter((session) => session.botId === botId);
  }

  async close(botId: string, connectionId: string, reason = "closed by request"): Promise<void> {
    await this.get(botId, connectionId).close(reason);
  }

  /** Closes every session of a bot (it is stopping, or being deleted). */
  async closeAllForBot(botId: string, reason = "bot stopped"): Promise<void> {
    await Promise.all(this.list(botId).map((session) => session.close(reason)));
  }

  /** Closes every session and stops reaping; for server shutdown. */
  async shutdown(): Promise<void> {
    this.shutDown = true;
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((session) => session.close("server shutting down")));
  }

  /** Closes sessions idle longer than idleMs. Runs on a timer; callable for a sweep now. */
  reapIdle(now = Date.now()): void {
    for (const session of this.sessions.values()) {
      if (session.pendingRequests === 0 && now - session.lastUsedAt > this.idleMs) {
        this.options.logger.info({ botId: session.botId, mcpSession: session.id }, "closing idle mcp session");
        void session.close(`idle for more than ${this.idleMs} ms`);
      }
    }
  }
}
