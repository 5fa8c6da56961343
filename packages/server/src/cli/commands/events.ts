import { once } from "node:events";

import { type ApiTarget, CliError, requestApi } from "../api-client.js";
import { usageError } from "../help.js";

// `botbox events [--bot B] [-f] [--json]`: the bots' lifecycle events over
// GET /events (docs/metrics.md), one line each: the latest ones, or with -f
// every new one until interrupted.

interface LifecycleEventJson {
  id: string;
  bot_id: string;
  type: string;
  payload: Record<string, unknown>;
  created_at: string;
}

/** One Server-Sent Event: its `event:` name, `id:` and joined `data:` lines. */
interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

export async function eventsCommand(
  target: ApiTarget,
  args: string[],
  flags: { bot?: string; follow: boolean; json: boolean },
): Promise<number> {
  if (args.length > 0) throw usageError("events");
  let lastId: string | undefined;
  // With -f a dropped stream (the server drops a reader that fell far behind) is picked up where it ended.
  for (;;) {
    const query = new URLSearchParams({ follow: String(flags.follow) });
    if (flags.bot !== undefined) query.set("bot_id", flags.bot);
    if (lastId !== undefined) query.set("since", lastId);
    const response = await requestApi(target, "GET", `/events?${query}`, {
      what: "events",
      headers: { accept: "text/event-stream" },
    }).catch((error: unknown) => {
      // A server that cannot be reached is said as this command's failure, like its other errors.
      if (error instanceof CliError && error.code === "unavailable")
        throw new CliError(`events: ${error.message}`, error.code);
      throw error;
    });
    if (!response.body) throw new CliError("events: the server sent no event stream");
    for await (const message of sseMessages(response.body)) {
      if (message.event === "notice") {
        process.stderr.write(`botbox: ${(JSON.parse(message.data) as { message: string }).message}\n`);
        continue;
      }
      const event = JSON.parse(message.data) as LifecycleEventJson;
      lastId = event.id;
      const line = flags.json ? message.data : describe(event);
      // Written before the next is read: a slow terminal slows the stream.
      if (!process.stdout.write(`${line}\n`)) await once(process.stdout, "drain");
    }
    if (!flags.follow) return 0;
  }
}

/** `2026-12-06T04:50:01.123Z  my-bot  container_start  {"runtime":"sandbox"}` */
function describe(event: LifecycleEventJson): string {
  const payload = Object.keys(event.payload).length === 0 ? "" : `  ${JSON.stringify(event.payload)}`;
  return `${event.created_at}  ${event.bot_id}  ${event.type}${payload}`;
}

/** The messages of an SSE body; comments (keep-alives) are skipped. */
export async function* sseMessages(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = pending.indexOf("\n\n")) !== -1) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const message: SseMessage = { event: "message", data: "" };
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") message.event = value;
        else if (field === "id") message.id = value;
        else if (field === "data") data.push(value);
      }
      if (data.length === 0) continue;
      message.data = data.join("\n");
      yield message;
    }
  }
}
