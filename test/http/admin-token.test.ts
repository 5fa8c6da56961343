import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { after, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer, suiteHomes } from "../support/botbox-server.js";

describe("botbox serve with BOTBOX_ADMIN_TOKEN", () => {
  const configured = `bbx_admin_configured_${randomBytes(16).toString("hex")}`;
  let server: BotboxServer | undefined;
  const newServer = async (home: string, adminToken: string) => {
    await server?.stop();
    server = await startBotboxServer({ home, env: { BOTBOX_ADMIN_TOKEN: adminToken } });
    return server;
  };
  after(() => server?.stop());
  const newHome = suiteHomes();

  it("accepts exactly the configured token and writes no admin-token file", async () => {
    const home = await newHome();
    const configuredServer = await newServer(home, configured);
    assert.equal((await configuredServer.api("GET", "/bots", undefined, configured)).status, 200);
    for (const wrong of [`${configured}0`, configured.slice(0, -1), configured.toUpperCase(), "bbx_admin_0"]) {
      const refused = await configuredServer.api("GET", "/bots", undefined, wrong);
      assert.equal(refused.status, 401, wrong);
      assert.equal(refused.body.error.code, "unauthenticated");
    }
    assert.equal(existsSync(path.join(home, "admin-token")), false, "the configured token was written to the home");
    const serving = configuredServer.logs.find((entry) => entry.msg === "botbox serving");
    assert.ok(serving && !("adminTokenFile" in serving), JSON.stringify(serving));
  });

  it("refuses the token a start without it generated into <home>/admin-token, and leaves that file alone", async () => {
    const home = await newHome();
    const generatingServer = await newServer(home, "");
    const generated = generatingServer.adminToken;
    assert.match(generated, /^bbx_admin_[0-9a-f]{48}$/);
    assert.equal((await generatingServer.api("GET", "/bots", undefined, configured)).status, 401);

    const configuredServer = await newServer(home, configured);
    assert.equal((await configuredServer.api("GET", "/bots", undefined, configured)).status, 200);
    const refused = await configuredServer.api("GET", "/bots", undefined, generated);
    assert.equal(refused.status, 401, "the generated token still works beside the configured one");
    const file = path.join(home, "admin-token");
    assert.equal((await readFile(file, "utf8")).trim(), generated);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });
});
