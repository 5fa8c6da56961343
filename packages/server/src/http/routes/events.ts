import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { botIdOfContainer, type EventFeed, type EventSubscription, type LiveEvent } from "../../events/index.js";
import { containerIdFor } from "../../manager/index.js";
import type { EventRecord, EventsSinceOptions } from "../../store/index.js";
import { requireBotAccess } from "../auth.js";
import { openEventStream } from "../event-stream.js";
import { botIdSchema } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

/** The store's side of the stream: what was recorded before the client came. */
export interface EventHistory {
  listEventsSince(options: EventsSinceOptions): Promise<EventRecord[]>;
  hasEvent(id: string): Promise<boolean>;
}

export interface EventRouteOptions {
  feed: EventFeed;
  history: EventHistory;
  /** A comment line on a stream quiet this long, so proxies and clients see it alive. Default 15 s. */
  keepAliveMs?: number;
  /** Events held for a client that is not reading; one more drops it. Default 1000. */
  maxQueued?: number;
}

/** A replay reads the store this many events at a time. */
const REPLAY_PAGE = 500;

const eventsQuery = z.object({
  /** Admin only: one bot's events. A bot token always gets its own bot's. */
  bot_id: botIdSchema.optional(),
  /** Replay what was recorded after this event id first (as the `Last-Event-ID` header does). */
  since: z.string().min(1).max(64).optional(),
  /** `false`: send the replay (or the latest `limit` events) and end, instead of following. */
  follow: z.enum(["true", "false"]).default("true"),
  /** With follow=false and no `since`: how many of the latest events. */
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The data of an SSE `lifecycle` event (`view` below); a `notice` event's data is `{ message }`. */
export const lifecycleEventSchema = z
  .object({
    id: z.string(),
    bot_id: z.string(),
    type: z.string(),
    payload: z.record(z.string(), z.unknown()),
    created_at: z.string(),
  })
  .meta({ id: "LifecycleEvent" });

const view = (event: EventRecord): z.input<typeof lifecycleEventSchema> => ({
  id: event.id,
  bot_id: botIdOfContainer(event.containerId),
  type: event.eventType,
  payload: event.payload,
  created_at: event.createdAt.toISOString(),
});

export function eventRoutes(app: FastifyInstance, routes: AnyRoute[], options: EventRouteOptions): void {
  addRoute(app, routes, {
    method: "GET",
    url: "/events",
    summary:
      "Lifecycle events as Server-Sent Events, as they happen (a bot token: its own bot's); Last-Event-ID or ?since= replays what came after that id first",
    query: eventsQuery,
    response: {
      kind: "sse",
      description:
        "`event: lifecycle` with `id` and data {id, bot_id, type, payload, created_at}; `event: notice` for an unknown Last-Event-ID; `: keep-alive` comments",
      items: lifecycleEventSchema,
    },
    handler: async ({ query }, request, reply) => {
      const principal = request.principal;
      if (query.bot_id !== undefined) requireBotAccess(request, query.bot_id);
      const botId = principal?.kind === "bot" ? principal.botId : query.bot_id;
      const containerId = botId === undefined ? undefined : containerIdFor(botId);
      const lastEventId = request.headers["last-event-id"];
      const since = query.since ?? (typeof lastEventId === "string" && lastEventId !== "" ? lastEventId : undefined);
      const follow = query.follow === "true";
      // Checked before the answer starts, so a wrong id can still be said as a notice on the stream.
      const known = since === undefined ? false : await options.history.hasEvent(since);

      // Subscribed before the answer starts and before the replay is read: an event
      // recorded meanwhile is in both, and sent once; one recorded once the client
      // has the headers is never missed.
      const subscription = follow
        ? options.feed.subscribe({
            ...(botId === undefined ? {} : { botId }),
            maxQueued: options.maxQueued ?? 1000,
            onOverflow: () => {
              request.log.warn({ botId }, "events: a client that stopped reading was dropped");
              reply.raw.destroy();
            },
          })
        : undefined;
      const abort = new AbortController();
      reply.hijack();
      const stream = openEventStream(reply.raw, { sse: true, abort });
      // Headers now, not with the first event: a client waits for them to know it is subscribed.
      reply.raw.flushHeaders();
      abort.signal.addEventListener("abort", () => subscription?.close(), { once: true });
      let lastSent: string | undefined;
      const send = async (event: EventRecord) => {
        await stream.write("lifecycle", view(event), event.id);
        lastSent = event.id;
      };
      try {
        if (since !== undefined && known) {
          for (;;) {
            const page = await options.history.listEventsSince({
              afterId: lastSent ?? since,
              ...(containerId === undefined ? {} : { containerId }),
              limit: REPLAY_PAGE,
            });
            for (const event of page) {
              if (abort.signal.aborted) return;
              await send(event);
            }
            if (page.length < REPLAY_PAGE) break;
          }
        } else if (since !== undefined) {
          await stream.write("notice", {
            message: `no event ${since} is recorded (it may belong to a deleted container): nothing replayed, following from now`,
          });
        } else if (!follow) {
          const latest = await options.history.listEventsSince({
            ...(containerId === undefined ? {} : { containerId }),
            limit: query.limit,
          });
          for (const event of latest) await send(event);
        }
        if (subscription) await followLive(subscription, send, () => lastSent, reply.raw, options);
      } catch (error) {
        // The answer has started: a failure (the store's, say) ends the stream, and the client may come back.
        request.log.error({ err: error }, "events: the stream failed");
      } finally {
        subscription?.close();
        if (!reply.raw.destroyed) reply.raw.end();
      }
    },
  });
}

/** Sends live events as they come, a keep-alive comment on a quiet stream, until the client leaves. */
async function followLive(
  subscription: EventSubscription,
  send: (event: LiveEvent) => Promise<void>,
  lastSent: () => string | undefined,
  socket: NodeJS.WritableStream & { destroyed: boolean },
  options: EventRouteOptions,
): Promise<void> {
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  // The subscription is closed when the client leaves (or is dropped): next() then answers undefined.
  while (!subscription.closed) {
    const event = await subscription.next(keepAliveMs);
    if (event === undefined) {
      if (!subscription.closed && !socket.destroyed) socket.write(": keep-alive\n\n");
      continue;
    }
    // Sent in the replay already (recorded while it was read).
    const last = lastSent();
    if (last !== undefined && event.id <= last) continue;
    await send(event);
  }
}
