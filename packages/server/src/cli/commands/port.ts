import type { ApiTarget } from "../api-client.js";
import { usageError } from "../help.js";
import { api, sdkFor } from "../sdk-client.js";
import { output } from "./output.js";

/**
 * `botbox port <bot> <port> [--ttl S]`: a signed URL of the bot's port, on
 * the port's own origin, that a browser opens without a token
 * (docs/ports.md). The server names the origin's host; its scheme and port
 * are the ones the CLI reaches the server at, which a person here can open.
 */
export async function portCommand(target: ApiTarget, args: string[], flags: { json: boolean; ttl?: string }) {
  const [botId, port, ...rest] = args;
  if (!botId || !port || rest.length > 0) throw usageError("port");
  if (!/^\d{1,5}$/.test(port)) throw usageError("port", `port must be a number from 1 to 65535, not ${port}`);
  let ttlSeconds: number | undefined;
  if (flags.ttl !== undefined) {
    ttlSeconds = Number(flags.ttl);
    if (!Number.isInteger(ttlSeconds)) throw usageError("port", `--ttl must be whole seconds, not ${flags.ttl}`);
  }
  const link = await api(
    "port",
    sdkFor(target)
      .bots.handle(botId)
      .ports.link(Number(port), ttlSeconds === undefined ? {} : { ttlSeconds }),
  );
  const url = new URL(link.url);
  const reached = new URL(target.url);
  url.protocol = reached.protocol;
  url.port = reached.port;
  output({ ...link, url: url.href }, flags.json, () => url.href);
}
