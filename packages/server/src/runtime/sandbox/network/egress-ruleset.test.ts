import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { blockedDestinations, PRIVATE_RANGES } from "./blocked-ranges.js";
import { egressRuleset, setElementsUpdate } from "./egress-ruleset.js";
import { resolveEgress } from "./resolve-egress.js";

const none = { ipv4: [], ipv6: [] };

describe("egress rule set", () => {
  it("without an allow-list: resolver, denied, allowed, then the blocked ranges, in that order", () => {
    const text = egressRuleset(
      { deny: { ipv4: ["1.2.3.4/32"], ipv6: [] }, dns: true },
      { ipv4: ["10.0.0.0/8"], ipv6: [] },
    );
    const order = [
      'oifname "lo" accept',
      "th dport 53 accept",
      "@deny4 jump refuse",
      "@allow4 accept",
      "@blocked4 jump refuse",
    ];
    const positions = order.map((rule) => text.indexOf(rule));
    assert.ok(
      positions.every((position) => position > 0),
      text,
    );
    assert.deepEqual(
      [...positions].sort((a, b) => a - b),
      positions,
      "rules in order",
    );
    assert.match(text, /set deny4 \{ type ipv4_addr; flags interval; auto-merge; elements = \{ 1\.2\.3\.4\/32 \} \}/);
    assert.doesNotMatch(text, /^\s+jump refuse$/m, "no catch-all refusal without an allow-list");
  });

  it("with an allow-list everything else is refused; with allow: [] not even DNS", () => {
    const listed = egressRuleset({ allow: { ipv4: ["5.6.7.0/24"], ipv6: [] }, deny: none, dns: true }, none);
    assert.match(listed, /^\s+jump refuse$/m);
    assert.match(listed, /dport 53 accept/);
    const nothing = egressRuleset({ allow: none, deny: none, dns: false }, none);
    assert.doesNotMatch(nothing, /dport 53/);
    assert.match(nothing, /^\s+jump refuse$/m);
  });

  it("set updates flush and refill", () => {
    assert.equal(setElementsUpdate("allow4", []), "flush set inet botbox allow4\n");
    assert.match(setElementsUpdate("allow4", ["1.1.1.1/32"]), /add element inet botbox allow4 \{ 1\.1\.1\.1\/32 \}/);
  });

  it("blocks the private ranges and every host address with its subnet in network form", () => {
    const blocked = blockedDestinations();
    for (const range of PRIVATE_RANGES.ipv4) assert.ok(blocked.ipv4.includes(range));
    assert.ok(blocked.ipv4.includes("127.0.0.1/32"));
    for (const cidr of blocked.ipv4) {
      const [address, prefix] = cidr.split("/");
      const value = address!.split(".").reduce((sum, part) => sum * 256 + Number(part), 0);
      const hostBits = 2 ** (32 - Number(prefix));
      assert.equal(value % hostBits, 0, `${cidr} has host bits set`);
    }
  });

  it("resolves host names through the given lookup, by family, and CIDRs as they are", async () => {
    const resolved = await resolveEgress({ allow: ["a.test", "9.9.9.0/24"], deny: ["b.test"] }, async (name) =>
      name === "a.test" ? ["1.1.1.1", "2001:db8::1"] : ["2.2.2.2"],
    );
    assert.deepEqual(resolved, {
      allow: { ipv4: ["1.1.1.1/32", "9.9.9.0/24"], ipv6: ["2001:db8::1/128"] },
      deny: { ipv4: ["2.2.2.2/32"], ipv6: [] },
      dns: true,
    });
    assert.equal((await resolveEgress({ allow: [], deny: [] })).dns, false);
    assert.equal((await resolveEgress(undefined)).allow, undefined);
  });
});
