import { connectivityState } from "@grpc/grpc-js";

import { IdentityMismatchError, UnavailableError } from "../errors.js";
import { AgentClient } from "./agent-client.js";
import { type AgentEndpoint, sameEndpoint } from "./endpoint.js";

/** Anything that hands out a client for a bot (the original's Provider interface). */
export interface AgentProvider {
  agentFor(botId: string): Promise<AgentClient>;
}

export type EndpointResolver = (botId: string) => AgentEndpoint | undefined | Promise<AgentEndpoint | undefined>;

export interface AgentPoolOptions {
  /** Where a bot's agent listens now; asked only when the pool has no usable channel. */
  resolveEndpoint: EndpointResolver;
  /** A channel stuck connecting this long is replaced. Default 30 s. */
  stuckConnectingMs?: number;
  /** Deadline for the identity check. Default 5 s. */
  verifyTimeoutMs?: number;
  /** Builds clients; tests use it to observe dials. */
  createClient?: (endpoint: AgentEndpoint) => AgentClient;
  /** The clock stuckConnectingMs is measured on; tests pass their own. Default Date.now. */
  now?: () => number;
}

interface Entry {
  readonly client: AgentClient;
  readonly endpoint: AgentEndpoint;
  /** True while the current connection is one that Info confirmed. */
  verified: boolean;
  connectingSince?: number;
  closed: boolean;
}

/**
 * One channel per bot, reused while healthy. Every channel is checked with
 * Info before use and after each reconnect, so a channel that reaches another
 * bot's agent is never handed out (the original trusted a cached IP, which
 * could point at another bot once addresses were reused).
 */
export class AgentPool implements AgentProvider {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();
  /** Bumped by remove/setEndpoint so a dial that raced them is thrown away. */
  private readonly generations = new Map<string, number>();
  private readonly endpoints = new Map<string, AgentEndpoint>();
  private readonly stuckConnectingMs: number;
  private readonly verifyTimeoutMs: number;
  private readonly createClient: (endpoint: AgentEndpoint) => AgentClient;
  private readonly now: () => number;

  constructor(private readonly options: AgentPoolOptions) {
    this.stuckConnectingMs = options.stuckConnectingMs ?? 30_000;
    this.verifyTimeoutMs = options.verifyTimeoutMs ?? 5_000;
    this.createClient = options.createClient ?? ((endpoint) => new AgentClient(endpoint));
    this.now = options.now ?? Date.now;
  }

  /** The number of cached channels. */
  get size(): number {
    return this.entries.size;
  }

  agentFor(botId: string): Promise<AgentClient> {
    return this.get(botId);
  }

  async get(botId: string): Promise<AgentClient> {
    for (;;) {
      const entry = this.entries.get(botId);
      if (entry?.verified && entry.client.connectivityState() === connectivityState.READY) return entry.client;
      let job = this.pending.get(botId);
      if (!job) {
        job = this.prepare(botId, entry).finally(() => this.pending.delete(botId));
        this.pending.set(botId, job);
      }
      const ready = await job;
      if (this.entries.get(botId) === ready && !ready.closed) return ready.client;
      // Evicted or replaced while we waited: look again.
    }
  }

  /**
   * Tells the pool where a bot's agent is now. A different endpoint evicts the
   * cached channel (the original only evicted on some paths).
   */
  setEndpoint(botId: string, endpoint: AgentEndpoint): void {
    const previous = this.endpoints.get(botId) ?? this.entries.get(botId)?.endpoint;
    this.endpoints.set(botId, endpoint);
    if (previous && !sameEndpoint(previous, endpoint)) this.evict(botId);
  }

  /** Closes and forgets a bot's channel (on stop, delete, or a new process). */
  remove(botId: string): void {
    this.endpoints.delete(botId);
    this.evict(botId);
  }

  closeAll(): void {
    for (const botId of [...this.entries.keys()]) this.evict(botId);
    this.endpoints.clear();
  }

  private evict(botId: string): void {
    this.generations.set(botId, (this.generations.get(botId) ?? 0) + 1);
    const entry = this.entries.get(botId);
    if (!entry) return;
    this.entries.delete(botId);
    entry.closed = true;
    entry.client.close();
  }

  private isHealthy(entry: Entry): boolean {
    const state = entry.client.connectivityState();
    if (state === connectivityState.SHUTDOWN || state === connectivityState.TRANSIENT_FAILURE) return false;
    if (state !== connectivityState.CONNECTING) return true;
    return entry.connectingSince === undefined || this.now() - entry.connectingSince < this.stuckConnectingMs;
  }

  private async prepare(botId: string, current: Entry | undefined): Promise<Entry> {
    if (current && this.isHealthy(current)) {
      // Healthy but unconfirmed since it (re)connected: check who answers.
      try {
        await this.verify(botId, current);
      } catch (error) {
        if (this.entries.get(botId) === current) this.evict(botId);
        throw error;
      }
      return current;
    }
    if (current) this.evict(botId);
    const generation = this.generations.get(botId) ?? 0;
    const endpoint = this.endpoints.get(botId) ?? (await this.options.resolveEndpoint(botId));
    if (!endpoint) throw new UnavailableError(`no agent endpoint for bot ${botId}`);
    const entry: Entry = { client: this.createClient(endpoint), endpoint, verified: false, closed: false };
    try {
      await this.verify(botId, entry);
    } catch (error) {
      entry.closed = true;
      entry.client.close();
      throw error;
    }
    if ((this.generations.get(botId) ?? 0) !== generation) {
      // remove() or setEndpoint() ran meanwhile: this channel may be stale.
      entry.closed = true;
      entry.client.close();
      return entry;
    }
    this.entries.set(botId, entry);
    this.watch(entry);
    return entry;
  }

  private async verify(botId: string, entry: Entry): Promise<void> {
    const info = await entry.client.info({ timeoutMs: this.verifyTimeoutMs });
    if (info.botId !== botId) throw new IdentityMismatchError(botId, info.botId);
    entry.verified = true;
  }

  /**
   * Follows the channel's state. Any connection but the verified one may reach
   * a different process, so leaving READY means checking again before use.
   */
  private watch(entry: Entry): void {
    const observe = () => {
      if (entry.closed) return;
      const state = entry.client.connectivityState();
      if (state === connectivityState.CONNECTING) entry.connectingSince ??= this.now();
      else entry.connectingSince = undefined;
      if (state !== connectivityState.READY) entry.verified = false;
      if (state === connectivityState.SHUTDOWN) return;
      entry.client.watchConnectivity(state, Infinity, observe);
    };
    observe();
  }
}
