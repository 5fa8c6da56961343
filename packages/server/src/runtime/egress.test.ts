import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BadRequestError } from "../errors.js";
import { isDefaultEgress, MAX_EGRESS_ENTRIES, normaliseEgress, parseEgressEntry } from "./egress.js";

describe("egress entries", () => {
  it("takes CIDRs, bare addresses and host names, normalised", () => {
    assert.deepEqual(parseEgressEntry("10.1.0.0/16"), { kind: "cidr", family: 4, cidr: "10.1.0.0/16" });
    assert.deepEqual(parseEgressEntry(" 1.2.3.4 "), { kind: "cidr", family: 4, cidr: "1.2.3.4/32" });
    assert.deepEqual(parseEgressEntry("2001:DB8::/32"), { kind: "cidr", family: 6, cidr: "2001:db8::/32" });
    assert.deepEqual(parseEgressEntry("::1"), { kind: "cidr", family: 6, cidr: "::1/128" });
    assert.deepEqual(parseEgressEntry("Pypi.ORG."), { kind: "host", name: "pypi.org" });
    assert.deepEqual(parseEgressEntry("localhost"), { kind: "host", name: "localhost" });
  });

  it("refuses anything else with a 400 that names the entry", () => {
    for (const bad of [
      "10.0.0.0/33",
      "1.2.3.4/x",
      "::/129",
      "999.1.1.1",
      "1.2.3",
      "exa mple.com",
      "-a.com",
      "a..b",
      "*.example.com",
      "",
      "http://x.org",
      "a".repeat(64) + ".com",
    ]) {
      assert.throws(
        () => parseEgressEntry(bad),
        (error: unknown) => error instanceof BadRequestError && error.message.includes(JSON.stringify(bad)),
        bad,
      );
    }
  });

  it("normalises a policy: duplicates dropped, allow kept absent or empty as given", () => {
    assert.deepEqual(normaliseEgress({ deny: ["1.2.3.4", "1.2.3.4/32", "X.com"] }), { deny: ["1.2.3.4/32", "x.com"] });
    assert.deepEqual(normaliseEgress({ allow: [], deny: [] }), { allow: [], deny: [] });
    assert.deepEqual(normaliseEgress({ allow: null }), { deny: [] });
    assert.throws(
      () => normaliseEgress({ allow: Array(MAX_EGRESS_ENTRIES + 1).fill("a.com"), deny: [] }),
      /at most 256/,
    );
    assert.equal(isDefaultEgress({ deny: [] }), true);
    assert.equal(isDefaultEgress({ allow: [], deny: [] }), false);
    assert.equal(isDefaultEgress({ deny: ["a.com"] }), false);
  });
});
