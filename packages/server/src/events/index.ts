export { EventFeed, EventSubscription, type LiveEvent, type SubscribeOptions } from "./event-feed.js";
export { botIdOfContainer, publishRecordedEvents } from "./recorded-events.js";
