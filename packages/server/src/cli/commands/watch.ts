import { once } from "node:events";

import { type ApiTarget, botRoute, CliError, requestApi } from "../api-client.js";
import { usageError } from "../help.js";

// `botbox watch <bot> <path> [--recursive] [--json]`: file changes under a
// folder of the bot (docs/watch.md), one line per event, over
// GET /bots/:bot_id/container/fs/watch.

interface WatchEventJson {
  type: string;
  path?: string;
  from?: string;
  kind?: string;
  time?: string;
  count?: number;
  root?: string;
  folders?: number;
  message?: string;
}

/** Runs until interrupted, or until the folder itself is gone. */
export async function watchCommand(
  target: ApiTarget,
  args: string[],
  flags: { recursive: boolean; json: boolean },
): Promise<number> {
  const [botId, folder, ...rest] = args;
  if (!botId || !folder || rest.length > 0) throw usageError("watch");
  const query = new URLSearchParams({ path: folder, recursive: String(flags.recursive) });
  const response = await requestApi(target, "GET", botRoute(botId, `/container/fs/watch?${query}`), {
    what: "watch",
  });
  if (!response.body) throw new CliError("watch: the server sent no event stream");
  let pending = Buffer.alloc(0);
  for await (const chunk of response.body) {
    pending = Buffer.concat([pending, chunk]);
    let newline: number;
    while ((newline = pending.indexOf(10)) !== -1) {
      const text = pending.subarray(0, newline).toString("utf8");
      pending = pending.subarray(newline + 1);
      const event = JSON.parse(text) as WatchEventJson;
      if (event.type === "keepalive") continue;
      if (event.type === "error") throw new CliError(`watch: ${event.message}`);
      const line = flags.json ? text : describe(event);
      // Written before the next is read: a slow terminal slows the stream.
      if (line !== undefined && !process.stdout.write(`${line}\n`)) await once(process.stdout, "drain");
    }
  }
  return 0;
}

/** `created  notes/a.txt (file)`, `renamed  a -> b (directory)`; ready and drops go to stderr. */
function describe(event: WatchEventJson): string | undefined {
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
