import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BOT_ID_PATTERN } from "../bot-id.js";
import { parsePortOriginHost, portOriginHostname, portOriginLabel } from "./port-origin.js";

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

describe("a bot port's own origin", () => {
  it("names a bot whose id is a lowercase DNS label by the id itself", () => {
    assert.equal(portOriginLabel("web"), "web");
    assert.equal(portOriginLabel("my-bot-2"), "my-bot-2");
    assert.equal(portOriginHostname("web", 3000, "localhost"), "3000-web.localhost");
  });

  it("encodes any other id as a readable part and a hash, a DNS label that a plain id never is", () => {
    const ids = ["Web", "web_1", "-x", "a--b", "_", "x".repeat(58), "A".repeat(64), "a-", "UPPER_and-lower_9"];
    const labels = ids.map(portOriginLabel);
    for (const [i, label] of labels.entries()) {
      assert.ok(BOT_ID_PATTERN.test(ids[i]!));
      assert.match(`65535-${label}`, DNS_LABEL, ids[i]);
      assert.match(label, /--[a-z2-7]{16}$/, ids[i]);
    }
    assert.equal(new Set(labels).size, ids.length, "two ids share a label");
    assert.equal(portOriginLabel("Web"), portOriginLabel("Web"), "not stable");
    assert.notEqual(portOriginLabel("Web"), portOriginLabel("web"));
    assert.match(portOriginLabel("Web"), /^web--/);
    assert.match(portOriginLabel("_"), /^bot--/);
  });

  it("reads the port and label from a Host under the domain, and nothing else", () => {
    assert.deepEqual(parsePortOriginHost("3000-web.localhost:8080", "localhost"), { label: "web", port: 3000 });
    assert.deepEqual(parsePortOriginHost("3000-WEB.LocalHost.", "localhost"), { label: "web", port: 3000 });
    assert.deepEqual(parsePortOriginHost("80-a-b--c.preview.example.com", "preview.example.com"), {
      label: "a-b--c",
      port: 80,
    });
    for (const host of [
      undefined,
      "",
      "localhost:8080",
      "127.0.0.1:8080",
      "[::1]:8080",
      "web.localhost",
      "3000-web.localhost.evil.com",
      "3000-web.notlocalhost",
      "x.3000-web.localhost",
      "03000-web.localhost",
      "0-web.localhost",
      "65536-web.localhost",
      "3000-.localhost",
      "3000-web-.localhost",
      "3000_web.localhost",
      `3000-${"a".repeat(58)}.localhost`,
    ])
      assert.equal(parsePortOriginHost(host, "localhost"), undefined, String(host));
  });
});
