// botbox.db holds MCP server env values and token hashes, admin-token the
// admin's token: neither may be readable by other users of the host.
import assert from "node:assert/strict";
import { chmod, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { after, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer, suiteHomes } from "../support/botbox-server.js";

const SECRET_FILES = ["botbox.db", "botbox.db-wal", "botbox.db-shm", "admin-token"];

async function modes(home: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const name of await readdir(home))
    if (SECRET_FILES.includes(name)) found[name] = ((await stat(path.join(home, name))).mode & 0o777).toString(8);
  return found;
}

describe("the server's secret files", () => {
  let server: BotboxServer | undefined;
  after(() => server?.stop());
  const newHome = suiteHomes();

  it("are created 0600, the database's -wal and -shm included", async () => {
    const home = await newHome();
    server = await startBotboxServer({ home });
    // A write, so that the write-ahead log holds something.
    assert.equal((await server.api("POST", "/bots", { name: "mode bot", id: "mode-bot" })).status, 201);
    const found = await modes(home);
    assert.deepEqual(Object.keys(found).sort(), [...SECRET_FILES].sort(), JSON.stringify(found));
    for (const [name, mode] of Object.entries(found)) assert.equal(mode, "600", `${name} is ${mode}`);
    assert.equal((await server.api("DELETE", "/bots/mode-bot")).status, 204);
  });

  it("are narrowed to 0600 at start when an older botbox left them readable", async () => {
    const home = server!.home;
    await server!.stop();
    for (const name of SECRET_FILES) await chmod(path.join(home, name), 0o644).catch(() => undefined);
    assert.ok(Object.values(await modes(home)).includes("644"), "nothing was made readable: no control");
    server = await startBotboxServer({ home });
    for (const [name, mode] of Object.entries(await modes(home))) assert.equal(mode, "600", `${name} is ${mode}`);
  });
});
