import { sseMessages } from "./streams.js";
import type { CallOptions, Transport } from "./transport.js";
import type { LifecycleEvent } from "./types.js";

export interface EventsOptions extends CallOptions {
  /** Admin only: one bot's events (a bot token always gets its own bot's). */
  botId?: string;
  /** Replay what was recorded after this event id first. */
  since?: string;
  /** Keep following (default true); false: the replay, or the latest `limit` events, then the end. */
  follow?: boolean;
  limit?: number;
  /** The server's notices on the stream (an unknown `since`, say). */
  onNotice?: (message: string) => void;
}

/** Lifecycle events over GET /events (SSE) as they happen. */
export async function* lifecycleEvents(
  transport: Transport,
  { botId, since, follow, limit, onNotice, ...call }: EventsOptions = {},
): AsyncGenerator<LifecycleEvent> {
  const response = await transport.request("GET", "/events", {
    query: { bot_id: botId, since, follow: follow ?? true, limit },
    headers: { accept: "text/event-stream" },
    ...call,
  });
  for await (const message of sseMessages(response.body!)) {
    if (message.event === "lifecycle") yield JSON.parse(message.data) as LifecycleEvent;
    else if (message.event === "notice") onNotice?.((JSON.parse(message.data) as { message: string }).message);
  }
}
