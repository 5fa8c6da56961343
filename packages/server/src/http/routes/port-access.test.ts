import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { appPathOf, withoutLinkParam } from "./port-access.js";

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
