import { CONTAINER_PREFIX } from "../runtime/runtime.js";
import type { EventStore } from "../store/index.js";
import type { EventFeed } from "./event-feed.js";

/** The bot a container id belongs to (containerIdFor's inverse). */
export const botIdOfContainer = (containerId: string): string =>
  containerId.startsWith(CONTAINER_PREFIX) ? containerId.slice(CONTAINER_PREFIX.length) : containerId;

/**
 * Makes the store publish each event it records: every producer (the
 * manager, the snapshot service, the supervisor) writes through the store,
 * so one place sees them all, in the order they were written, and only
 * once they are stored (a replay then finds them).
 */
export function publishRecordedEvents(store: EventStore, feed: EventFeed): void {
  const record = store.recordEvent.bind(store);
  store.recordEvent = async (input) => {
    const event = await record(input);
    feed.publish({ ...event, botId: botIdOfContainer(event.containerId) });
    return event;
  };
}
