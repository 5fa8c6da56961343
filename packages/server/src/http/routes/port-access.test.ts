import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ForbiddenError, NotFoundError, UnauthenticatedError } from "../../errors.js";
import { portOriginLabel, type PortOriginTarget } from "../../ports/index.js";
import { LinkSigner } from "../signed-links.js";
import { appPathOf, checkPortOriginAccess, type PortRequest, portScope, withoutLinkParam } from "./port-access.js";

describe("a port URL's path as the app sees it", () => {
  it("drops the link parameter and only it, leaving the rest of the query byte for byte", () => {
    assert.equal(withoutLinkParam("/a?botbox_link=v1.x.y"), "/a");
    assert.equal(withoutLinkParam("/a?flag&b=~x%20y&botbox_link=v1.x.y&c=1+2"), "/a?flag&b=~x%20y&c=1+2");
    assert.equal(withoutLinkParam("/a?botbox%5Flink=v1.x.y&keep"), "/a?keep");
    assert.equal(withoutLinkParam("/a"), "/a");
  });

  it("strips the bot's port prefix", () => {
    assert.equal(appPathOf("/bots/b1/ports/3000/api/x?flag&q=~"), "/api/x?flag&q=~");
    assert.equal(appPathOf("/bots/b1/ports/3000"), "/");
    assert.equal(appPathOf("/bots/b1/ports/3000?botbox_link=v1.x.y"), "/");
  });
});

describe("who may reach a port's own origin", () => {
  const links = new LinkSigner("bbx_admin_0123456789abcdef0123456789abcdef");
  const web = { label: "web", port: 3000 };
  const encoded = { label: portOriginLabel("Web_2"), port: 3000 };
  const known = new Map([
    ["web", "web"],
    [encoded.label, "Web_2"],
  ]);
  const lookups: string[] = [];
  const botForLabel = async (label: string) => {
    lookups.push(label);
    return known.get(label);
  };
  const check = (target: PortOriginTarget, request: Partial<PortRequest>) =>
    checkPortOriginAccess(
      links,
      { principal: undefined, headers: {}, linkInUrl: undefined, ...request },
      target,
      botForLabel,
    );
  const link = (bot: string, port = 3000) => links.sign(bot, portScope(port), 60).link;

  it("learns the bot from a link or cookie of this label and port, and refuses others with 403", async () => {
    assert.equal((await check(encoded, { linkInUrl: link("Web_2") })).botId, "Web_2");
    assert.equal((await check(web, { headers: { cookie: `a=1; botbox_link=${link("web")}` } })).botId, "web");
    await assert.rejects(check(web, { linkInUrl: link("Web_2") }), ForbiddenError);
    await assert.rejects(check(web, { headers: { cookie: `botbox_link=${link("web", 3001)}` } }), ForbiddenError);
    await assert.rejects(check(web, { headers: { cookie: `botbox_link=${link("web")}x` } }), UnauthenticatedError);
    await assert.rejects(check(web, {}), UnauthenticatedError);
    assert.deepEqual(lookups, [], "a request without a token made botbox look a label up");
  });

  it("a bot token reaches its own bot's origins only; the admin token finds the bot by its label", async () => {
    const own = { kind: "bot", botId: "Web_2", tokenId: "t" } as const;
    assert.equal((await check(encoded, { principal: own })).botId, "Web_2");
    await assert.rejects(check(web, { principal: own }), NotFoundError);
    assert.equal((await check(encoded, { principal: { kind: "admin" } })).botId, "Web_2");
    await assert.rejects(check({ label: "nobody", port: 3000 }, { principal: { kind: "admin" } }), NotFoundError);
  });
});
