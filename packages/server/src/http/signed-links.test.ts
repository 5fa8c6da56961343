import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ForbiddenError, UnauthenticatedError } from "../errors.js";
import { LinkSigner, MAX_LINK_TTL_SECONDS } from "./signed-links.js";

const ADMIN = "bbx_admin_0123456789abcdef0123456789abcdef";

describe("signed links", () => {
  it("a link grants its scope of its bot until it expires", () => {
    let now = 1_800_000_000_000;
    const signer = new LinkSigner(ADMIN, () => now);
    const { link, grant } = signer.sign("bot-a", "port:3000", 60);
    assert.deepEqual(signer.verify(link, "bot-a", "port:3000"), grant);
    assert.equal(grant.exp, 1_800_000_060);
    now += 59_999;
    signer.verify(link, "bot-a", "port:3000");
    now += 1;
    assert.throws(() => signer.verify(link, "bot-a", "port:3000"), /has expired/);
  });

  it("another bot, another port or another scope is refused with 403", () => {
    const signer = new LinkSigner(ADMIN);
    const { link } = signer.sign("bot-a", "port:3000", 60);
    for (const [bot, scope] of [
      ["bot-b", "port:3000"],
      ["bot-a", "port:3001"],
      ["bot-a", "terminal"],
    ] as const)
      assert.throws(() => signer.verify(link, bot, scope), ForbiddenError);
  });

  it("a forged, altered or malformed link is refused with 401", () => {
    const signer = new LinkSigner(ADMIN);
    const { link } = signer.sign("bot-a", "port:3000", 60);
    const [version, payload, mac] = link.split(".") as [string, string, string];
    const otherBot = Buffer.from(JSON.stringify({ bot: "bot-b", scope: "port:3000", exp: 4_000_000_000 }));
    const forgeries = [
      `${version}.${otherBot.toString("base64url")}.${mac}`,
      `${version}.${payload}.${mac.slice(0, -2)}AA`,
      `${version}.${payload}.`,
      `v2.${payload}.${mac}`,
      `${link}.extra`,
      "not-a-link",
      "",
      new LinkSigner("bbx_admin_another_admin_token_entirely").sign("bot-a", "port:3000", 60).link,
    ];
    for (const forged of forgeries)
      assert.throws(() => signer.verify(forged, "bot-a", "port:3000"), UnauthenticatedError, forged);
  });

  it("a ttl outside 1 s to a day is refused", () => {
    const signer = new LinkSigner(ADMIN);
    for (const ttl of [0, -5, 1.5, MAX_LINK_TTL_SECONDS + 1, Number.NaN])
      assert.throws(() => signer.sign("bot-a", "terminal", ttl), RangeError);
  });
});
