import { type ApiTarget, botRoute, callApi } from "../api-client.js";
import { usageError } from "../help.js";
import { output } from "./output.js";

/**
 * `botbox port <bot> <port> [--ttl S]`: a signed URL of the bot's port that
 * a browser opens without a token (docs/ports.md). Built on the address the
 * CLI reaches the server at, which is the one a person here can open.
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
  const link = (await callApi(target, "POST", botRoute(botId, `/ports/${port}/link`), {
    ...(ttlSeconds === undefined ? {} : { ttl_seconds: ttlSeconds }),
  })) as { url: string; path: string; expires_at: string };
  const url = `${target.url}${link.path}`;
  output({ ...link, url }, flags.json, () => url);
}
