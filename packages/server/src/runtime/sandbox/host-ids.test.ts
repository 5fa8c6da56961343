import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { claimHostIdentity, releaseHostIdentity, runningAsRoot } from "./host-ids.js";

describe("host identities", { skip: runningAsRoot() ? false : "per-bot host uids are given out only as root" }, () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "botbox-host-ids-"));
    process.env.BOTBOX_HOST_ID_REGISTRY = path.join(scratch, "registry");
  });
  after(async () => {
    delete process.env.BOTBOX_HOST_ID_REGISTRY;
    await rm(scratch, { recursive: true, force: true });
  });

  it("never gives the same uid to bots of two different botbox homes", async () => {
    const homeA = path.join(scratch, "home-a");
    const homeB = path.join(scratch, "home-b");
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        claimHostIdentity(i % 2 ? homeA : homeB, `bot-${i}`, path.join(scratch, `owner-${i}.json`)),
      ),
    );
    assert.equal(new Set(claims.map((claim) => claim.uid)).size, 8);
  });

  it("keeps a bot's uid across claims and frees it on release", async () => {
    const owner = path.join(scratch, "owner-keep.json");
    const first = await claimHostIdentity(path.join(scratch, "home-c"), "keeper", owner);
    assert.deepEqual(await claimHostIdentity(path.join(scratch, "home-c"), "keeper", owner), first);
    await releaseHostIdentity(path.join(scratch, "home-c"), first);
    const next = await claimHostIdentity(
      path.join(scratch, "home-d"),
      "newcomer",
      path.join(scratch, "owner-new.json"),
    );
    assert.equal(next.uid, first.uid, "a released uid is given out again");
  });
});
