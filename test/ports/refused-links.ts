// The links the port suites (path form and port origins) show refused: each
// differs from a genuine one in one way only, so a refusal is that way's.
import assert from "node:assert/strict";

import type { BotboxServer } from "../support/botbox-server.js";

/** The `botbox_link` value of a link the server signs for the bot's port. */
async function signedLink(server: BotboxServer, bot: string, port: number, ttlSeconds: number): Promise<string> {
  const { status, body } = await server.api("POST", `/bots/${bot}/ports/${port}/link`, { ttl_seconds: ttlSeconds });
  assert.equal(status, 200, JSON.stringify(body));
  return new URL(body.url as string, "http://x").searchParams.get("botbox_link")!;
}

/**
 * A genuine link to `bot`'s `port`, the same with its signature changed
 * (forged), one for `other` bot, one for another port, and one whose second
 * of life is over by the time this returns (it waits 2.1 s).
 */
export async function linksToRefuse(
  server: BotboxServer,
  { bot, other, port }: { bot: string; other: string; port: number },
): Promise<{ genuine: string; forged: string; otherBot: string; otherPort: string; expiring: string }> {
  const genuine = await signedLink(server, bot, port, 60);
  const forged = `${genuine.slice(0, -2)}${genuine.endsWith("AA") ? "BB" : "AA"}`;
  const otherBot = await signedLink(server, other, port, 60);
  const otherPort = await signedLink(server, bot, 4000, 60);
  const expiring = await signedLink(server, bot, port, 1);
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  return { genuine, forged, otherBot, otherPort, expiring };
}

/** A refused request: what it is, its headers, its query, the status it gets. */
export type RefusedAttempt = [what: string, headers: Record<string, string>, query: string, status: number];

/** The refusals both port suites show: no credentials, and the links above as link or cookie. */
export function refusedAttempts(links: Awaited<ReturnType<typeof linksToRefuse>>): RefusedAttempt[] {
  const { forged, otherBot, otherPort, expiring } = links;
  return [
    ["no credentials", {}, "", 401],
    ["a forged link", {}, `?botbox_link=${forged}`, 401],
    ["a forged cookie", { cookie: `botbox_link=${forged}` }, "", 401],
    ["an expired cookie", { cookie: `botbox_link=${expiring}` }, "", 401],
    ["another bot's link", {}, `?botbox_link=${otherBot}`, 403],
    ["another port's cookie", { cookie: `botbox_link=${otherPort}` }, "", 403],
  ];
}
