import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { requestedUser, SandboxUsers } from "./sandbox-user.js";

const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString("base64")}`;

describe("E2B's user option", () => {
  it("is read from basic auth (connect-rpc) or ?username= (/files), and absent when neither names one", () => {
    assert.equal(requestedUser(basic("root")), "root");
    assert.equal(requestedUser(basic("user"), null), "user");
    assert.equal(requestedUser(undefined, "root"), "root");
    assert.equal(requestedUser(undefined), undefined);
    assert.equal(requestedUser(basic("")), undefined);
    assert.equal(requestedUser("Bearer x"), undefined);
  });

  it("honours root in a bot whose uid is 0 and user in one whose uid is not; refuses the rest by name", async () => {
    // The uid is what `id -u` in the bot says; gVisor's non-root bots are not made here, so it is given.
    const uids: Record<string, number> = { rooted: 0, unprivileged: 200_123 };
    let asked = 0;
    const users = new SandboxUsers(async (botId) => {
      asked += 1;
      return uids[botId]!;
    });
    await users.check("rooted", undefined);
    assert.equal(asked, 0, "no user named: the bot is not asked");
    await users.check("rooted", "root");
    await users.check("rooted", "root");
    assert.equal(asked, 1, "asked once per sandbox");
    await assert.rejects(users.check("rooted", "user"), /user "user" is not available.*root \(uid 0\)/);
    await users.check("unprivileged", "user");
    await assert.rejects(users.check("unprivileged", "root"), /user "root" is not available.*uid 200123, not root/);
    await assert.rejects(
      users.check("rooted", "admin"),
      /user "admin": an E2B sandbox has the users "root" and "user" only/,
    );
  });
});
