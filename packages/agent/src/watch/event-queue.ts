import { ChangeType, type WatchEvent } from "@botbox/proto";

/**
 * Events waiting for a client, at most `capacity` of them. Past that, new
 * events are counted, not kept, and one `dropped` event with the count takes
 * their place in the stream: memory stays bounded whatever the client does.
 * A modification of a path whose modification is still waiting is the same
 * news again and is folded into it (not counted as dropped).
 */
export class BoundedEventQueue {
  readonly #capacity: number;
  #items: WatchEvent[] = [];
  #head = 0;
  #dropped = 0;
  #modifiedWaiting = new Set<string>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Everything dropped so far that no `dropped` event reported yet. */
  get droppedPending(): number {
    return this.#dropped;
  }

  push(event: WatchEvent): void {
    const modified = modifiedPath(event);
    if (modified !== undefined && this.#modifiedWaiting.has(modified)) return;
    if (this.length >= this.#capacity) {
      this.#dropped += 1;
      return;
    }
    // The loss is reported where it happened: after what was kept before it.
    if (this.#dropped > 0) this.#items.push(this.#takeDropped());
    this.#items.push(event);
    if (modified !== undefined) this.#modifiedWaiting.add(modified);
  }

  /** The next event to send, or undefined when there is none. */
  shift(): WatchEvent | undefined {
    if (this.length === 0) return this.#dropped > 0 ? this.#takeDropped() : undefined;
    const event = this.#items[this.#head]!;
    this.#head += 1;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    const modified = modifiedPath(event);
    if (modified !== undefined) this.#modifiedWaiting.delete(modified);
    return event;
  }

  #takeDropped(): WatchEvent {
    const count = this.#dropped;
    this.#dropped = 0;
    return { event: { $case: "dropped", value: { count } } };
  }
}

function modifiedPath(event: WatchEvent): string | undefined {
  const change = event.event?.$case === "change" ? event.event.value : undefined;
  return change?.type === ChangeType.CHANGE_TYPE_MODIFIED ? change.path : undefined;
}
