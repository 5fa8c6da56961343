import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

import type { AgentClient } from "../client/index.js";
import { reachWorkspace, TooManyTunnelsError } from "../errors.js";
import { type ForwardedRequest, forwardHttp, forwardUpgrade, type UpgradeRequest } from "./http-forward.js";

export interface PortProxyOptions {
  /** The bot's agent; any failure to get it is a WorkspaceUnreachableError (503). */
  agentFor: (botId: string) => Promise<AgentClient>;
  /** Tunnels one bot may have open at once (requests in flight and WebSockets); 429 past it. */
  maxTunnelsPerBot: number;
}

/**
 * Reaches the servers bots run on ports of their own loopback, through each
 * bot's agent (docs/ports.md): one tunnel per proxied request or WebSocket,
 * at most `maxTunnelsPerBot` at once per bot, so one bot's visitors cannot
 * hold every stream of the host.
 */
export class PortProxy {
  readonly #options: PortProxyOptions;
  readonly #open = new Map<string, number>();

  constructor(options: PortProxyOptions) {
    this.#options = options;
  }

  /** How many tunnels the bot has open now. */
  openTunnels(botId: string): number {
    return this.#open.get(botId) ?? 0;
  }

  /** A connection to `port` in the bot, counted against its bound until it closes. */
  async openTunnel(botId: string, port: number): Promise<Duplex> {
    const open = this.openTunnels(botId);
    const max = this.#options.maxTunnelsPerBot;
    if (open >= max)
      throw new TooManyTunnelsError(
        `bot ${botId} has ${open} port connections open, the most [ports] max_tunnels_per_bot allows (${max}); retry when some end`,
      );
    this.#open.set(botId, open + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = this.openTunnels(botId) - 1;
      if (left > 0) this.#open.set(botId, left);
      else this.#open.delete(botId);
    };
    try {
      const agent = await reachWorkspace(botId, this.#options.agentFor);
      const tunnel = await agent.openTunnel(port);
      tunnel.once("close", release);
      return tunnel;
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Sends one HTTP request to the bot's port; resolves with the response's head, its body still streaming. */
  async forward(botId: string, port: number, request: ForwardedRequest): Promise<IncomingMessage> {
    return forwardHttp(await this.openTunnel(botId, port), port, request);
  }

  /** Joins a client's upgraded connection (a WebSocket) to the bot's port, both ways. */
  async upgrade(botId: string, port: number, request: UpgradeRequest): Promise<void> {
    forwardUpgrade(await this.openTunnel(botId, port), port, request);
  }
}
