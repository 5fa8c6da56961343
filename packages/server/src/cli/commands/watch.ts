import { once } from "node:events";

import type { FileChangeEvent } from "@botbox/sdk";

import type { ApiTarget } from "../api-client.js";
import { usageError } from "../help.js";
import { cliErrorOf, sdkFor } from "../sdk-client.js";

// `botbox watch <bot> <path> [--recursive] [--json]`: file changes under a
// folder of the bot (docs/watch.md), one line per event, over
// GET /bots/:bot_id/container/fs/watch.

/** Runs until interrupted, or until the folder itself is gone. */
export async function watchCommand(
  target: ApiTarget,
  args: string[],
  flags: { recursive: boolean; json: boolean },
): Promise<number> {
  const [botId, folder, ...rest] = args;
  if (!botId || !folder || rest.length > 0) throw usageError("watch");
  const events = sdkFor(target).bots.handle(botId).watch(folder, { recursive: flags.recursive });
  try {
    for await (const event of events) {
      const line = flags.json ? JSON.stringify(event) : describe(event);
      // Written before the next is read: a slow terminal slows the stream.
      if (line !== undefined && !process.stdout.write(`${line}\n`)) await once(process.stdout, "drain");
    }
  } catch (error) {
    throw cliErrorOf("watch", error);
  }
  return 0;
}

/** `created  notes/a.txt (file)`, `renamed  a -> b (directory)`; ready and drops go to stderr. */
function describe(event: FileChangeEvent): string | undefined {
  switch (event.type) {
    case "ready":
      process.stderr.write(`watching ${event.root} (${event.folders} folder${event.folders === 1 ? "" : "s"})\n`);
      return undefined;
    case "dropped":
      process.stderr.write(`botbox: ${event.count} events were dropped (the reader was too slow)\n`);
      return undefined;
    case "notice":
      process.stderr.write(`botbox: ${event.message}\n`);
      return undefined;
    default: {
      const shown = event.path === "" ? "." : event.path;
      const what = event.type === "renamed" ? `${event.from} -> ${shown}` : shown;
      return `${event.type.padEnd(8)} ${what} (${event.kind})`;
    }
  }
}
