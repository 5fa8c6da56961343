import { once } from "node:events";

import type { LifecycleEvent } from "@botbox/sdk";

import type { ApiTarget } from "../api-client.js";
import { usageError } from "../help.js";
import { cliErrorOf, sdkFor } from "../sdk-client.js";

// `botbox events [--bot B] [-f] [--json]`: the bots' lifecycle events over
// GET /events (docs/metrics.md), one line each: the latest ones, or with -f
// every new one until interrupted.

/** The SSE reader the SDK uses, for tests that read /events themselves. */
export { sseMessages } from "@botbox/sdk";

export async function eventsCommand(
  target: ApiTarget,
  args: string[],
  flags: { bot?: string; follow: boolean; json: boolean },
): Promise<number> {
  if (args.length > 0) throw usageError("events");
  const box = sdkFor(target);
  let lastId: string | undefined;
  // With -f a dropped stream (the server drops a reader that fell far behind) is picked up where it ended.
  for (;;) {
    const events = box.events({
      follow: flags.follow,
      ...(flags.bot === undefined ? {} : { botId: flags.bot }),
      ...(lastId === undefined ? {} : { since: lastId }),
      onNotice: (message) => process.stderr.write(`botbox: ${message}\n`),
    });
    try {
      for await (const event of events) {
        lastId = event.id;
        const line = flags.json ? JSON.stringify(event) : describe(event);
        // Written before the next is read: a slow terminal slows the stream.
        if (!process.stdout.write(`${line}\n`)) await once(process.stdout, "drain");
      }
    } catch (error) {
      throw cliErrorOf("events", error);
    }
    if (!flags.follow) return 0;
  }
}

/** `2026-12-06T04:50:01.123Z  my-bot  container_start  {"runtime":"sandbox"}` */
function describe(event: LifecycleEvent): string {
  const payload = Object.keys(event.payload).length === 0 ? "" : `  ${JSON.stringify(event.payload)}`;
  return `${event.created_at}  ${event.bot_id}  ${event.type}${payload}`;
}
