import createClient, { type Client } from "openapi-fetch";

import { apiErrorFromBody, apiErrorOf, BotboxApiError } from "./errors.js";
import type { paths } from "./gen/openapi.js";

export interface BotboxOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** An admin token, or a bot's token (which reaches only its bot). */
  token: string;
  /**
   * How long to wait for an answer's headers (a stream's body may then last
   * as long as it lasts). Default 60 s; 0 waits as long as the call takes.
   */
  timeoutMs?: number;
  /** The fetch to use (a test's, a proxy-aware one); default the global fetch. */
  fetch?: typeof fetch;
}

/** Per-call options every method takes. */
// A type, not an interface: openapi-fetch's init takes it only with an index signature.

export type CallOptions = { signal?: AbortSignal };

/** A query's values; undefined ones are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/**
 * One connection to the API: the typed client (openapi-fetch over the
 * generated paths) for JSON calls, and `request` for what the typed table
 * cannot carry (stream bodies, stream answers). Both send the token, wait at
 * most `timeoutMs` for the headers, and turn a refusal into BotboxApiError.
 */
export class Transport {
  readonly url: string;
  readonly token: string;
  readonly api: Client<paths>;
  private readonly baseFetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: BotboxOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.token = options.token;
    this.baseFetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.api = createClient<paths>({
      baseUrl: this.url,
      headers: { authorization: `Bearer ${this.token}` },
      fetch: (request) => this.send(request),
    });
  }

  /** The data of a typed call, or its error as BotboxApiError. */
  async call<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
    const { data, error, response } = await pending;
    if (!response.ok) throw apiErrorFromBody(response.status, error);
    return data as T;
  }

  /** A raw request with the token; an answer that is not ok becomes BotboxApiError. */
  async request(
    method: string,
    path: string,
    init: { query?: Query; body?: RequestInit["body"]; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(init.query ?? {}))
      if (value !== undefined) search.set(key, String(value));
    const url = `${this.url}${path}${search.size > 0 ? `?${search}` : ""}`;
    const request = new Request(url, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...init.headers },
      body: init.body ?? null,
      signal: init.signal ?? null,
      // A stream body needs half-duplex (Node's fetch requires saying so).
      ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
    const response = await this.send(request);
    if (!response.ok) throw await apiErrorOf(response);
    return response;
  }

  /**
   * Sends one request, aborting it when no headers came within the timeout;
   * the timer stops once they come, so a long stream is not cut.
   */
  private async send(request: Request): Promise<Response> {
    const timeout = new AbortController();
    const timer =
      this.timeoutMs > 0 &&
      setTimeout(
        () =>
          timeout.abort(new BotboxApiError(0, "unavailable", `no answer from ${this.url} within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    try {
      const signal = AbortSignal.any([request.signal, timeout.signal]);
      return await this.baseFetch(
        new Request(request, { signal, ...(request.body ? { duplex: "half" } : {}) } as RequestInit),
      );
    } catch (error) {
      if (timeout.signal.aborted) throw timeout.signal.reason as BotboxApiError;
      if (request.signal.aborted) throw error;
      const cause = (error as Error).cause ?? error;
      throw new BotboxApiError(0, "unavailable", `cannot reach botbox at ${this.url}: ${String(cause)}`);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

/** `/bots/<id>` with the id escaped, and the rest of the path after it. */
export const botPath = (botId: string, rest = "") => `/bots/${encodeURIComponent(botId)}${rest}`;
