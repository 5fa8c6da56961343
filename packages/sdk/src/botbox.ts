import { Bots } from "./bots.js";
import { type EventsOptions, lifecycleEvents } from "./events.js";
import { type BotboxOptions, type CallOptions, Transport } from "./transport.js";
import type { LifecycleEvent } from "./types.js";

/**
 * A botbox server: `new Botbox({ url, token })`, then `box.bots.create(...)`.
 * Every call sends the token and throws BotboxApiError when refused.
 */
export class Botbox {
  readonly bots: Bots;
  private readonly transport: Transport;

  constructor(options: BotboxOptions) {
    this.transport = new Transport(options);
    this.bots = new Bots(this.transport);
  }

  /** Lifecycle events as they happen (a bot token: its own bot's), as an async iterator. */
  events(options?: EventsOptions): AsyncGenerator<LifecycleEvent> {
    return lifecycleEvents(this.transport, options);
  }

  /** Who the token is: the admin, or a bot. */
  whoami(call: CallOptions = {}) {
    return this.transport.call(this.transport.api.GET("/whoami", call));
  }
}
