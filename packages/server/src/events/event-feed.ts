import type { EventRecord } from "../store/index.js";

/** A lifecycle event as the stream and the metrics see it: the store's record and the bot it belongs to. */
export interface LiveEvent extends EventRecord {
  botId: string;
}

export interface SubscribeOptions {
  /** Only this bot's events; absent: every bot's. */
  botId?: string;
  /**
   * Events held for a subscriber that has not taken them yet. One more and
   * `onOverflow` runs and the subscription ends: a client that stops reading
   * is dropped, never buffered without end (it can come back with the last
   * id it saw and replay from the store).
   */
  maxQueued: number;
  onOverflow: () => void;
}

/** Events one subscriber has yet to take, in the order they were recorded. */
export class EventSubscription {
  private readonly queued: LiveEvent[] = [];
  private wake?: () => void;
  private ended = false;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly unsubscribe: () => void,
  ) {}

  /** Called by the feed for every event. */
  offer(event: LiveEvent): void {
    if (this.ended) return;
    if (this.options.botId !== undefined && event.botId !== this.options.botId) return;
    if (this.queued.length >= this.options.maxQueued) {
      this.close();
      this.options.onOverflow();
      return;
    }
    this.queued.push(event);
    this.wake?.();
  }

  /** The next event; undefined once closed, or after `timeoutMs` without one (a keep-alive is due). */
  async next(timeoutMs?: number): Promise<LiveEvent | undefined> {
    const event = this.queued.shift();
    if (event || this.ended) return event;
    await new Promise<void>((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.wake?.(), timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
    return this.queued.shift();
  }

  get closed(): boolean {
    return this.ended;
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.queued.length = 0;
    this.unsubscribe();
    this.wake?.();
  }
}

/**
 * Lifecycle events as they are recorded, to whoever listens (GET /events,
 * the metrics). In memory and of this process only: what was recorded before
 * a subscriber came is the store's to replay.
 */
export class EventFeed {
  private readonly subscriptions = new Set<EventSubscription>();
  private readonly listeners = new Set<(event: LiveEvent) => void>();

  publish(event: LiveEvent): void {
    for (const listener of this.listeners) listener(event);
    for (const subscription of this.subscriptions) subscription.offer(event);
  }

  /** A listener called synchronously for each event (it must not throw or wait). */
  listen(listener: (event: LiveEvent) => void): void {
    this.listeners.add(listener);
  }

  subscribe(options: SubscribeOptions): EventSubscription {
    const subscription: EventSubscription = new EventSubscription(options, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Subscribers now, for tests and the metrics. */
  get subscriberCount(): number {
    return this.subscriptions.size;
  }
}
