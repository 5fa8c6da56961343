// The E2B front end's mappings (docs/e2b.md), through the official `e2b`
// package configured only by E2B_API_KEY, E2B_API_URL and E2B_SANDBOX_URL:
// templates as images ([e2b] templates), E2B's `user` option, metadata and
// envs kept with the bot across a server restart, and E2B features botbox
// does not have answered 501 in E2B's error shape, naming the feature.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { Sandbox, SandboxError, type SandboxListOpts, Template } from "e2b";

import { e2bKeyFor } from "../../packages/server/src/e2b/index.js";
import { type BotboxServer, sandboxOnly, startBotboxServer, TEST_RUNTIME } from "../support/botbox-server.js";

function useE2bEnvironment(server: BotboxServer): void {
  for (const name of Object.keys(process.env)) if (name.startsWith("E2B_")) delete process.env[name];
  process.env.E2B_API_KEY = e2bKeyFor(server.adminToken);
  process.env.E2B_API_URL = `${server.url}/e2b`;
  process.env.E2B_SANDBOX_URL = `${server.url}/e2b-sandbox`;
}

async function listed(query?: SandboxListOpts["query"]): Promise<Map<string, Record<string, string>>> {
  const paginator = Sandbox.list(query ? { query } : undefined);
  const found = new Map<string, Record<string, string>>();
  while (paginator.hasNext) for (const info of await paginator.nextItems()) found.set(info.sandboxId, info.metadata);
  return found;
}

/** The SDK's error for a refused call: a SandboxError whose message holds the status and what botbox said. */
function refusedWith(status: number, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof SandboxError, String(error));
    assert.match(error.message, new RegExp(`^${status}: `), error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

// "mapped" is the sandbox's default image under another of its names: a second template that runs without
// importing or pulling anything. Every other backend's second image would be a pull from the internet.
// "missing" names an image no backend has (none pulls): its create must fail and leave nothing behind.
const TEMPLATES = "mapped=botbox/default,missing=botbox/no-such-image-for-e2b-tests";

describe("E2B templates, users, kept create options and unsupported calls", { timeout: 240_000 }, () => {
  let server: BotboxServer;
  const env = { BOTBOX_E2B_ENABLED: "true", BOTBOX_E2B_TEMPLATES: TEMPLATES };
  const made: string[] = [];

  before(async () => {
    server = await startBotboxServer({ env });
    useE2bEnvironment(server);
  });

  after(async () => {
    for (const id of made) await Sandbox.kill(id).catch(() => undefined);
    await server?.stop();
  });

  it("creates `base` on the server's image and answers an unknown template 404, naming it and the known ones", async () => {
    const sandbox = await Sandbox.create();
    made.push(sandbox.sandboxId);
    assert.equal((await Sandbox.getInfo(sandbox.sandboxId)).templateId, "base");
    assert.equal((await sandbox.commands.run("echo base")).stdout, "base\n");
    await assert.rejects(Sandbox.create("no-such-template"), refusedWith(404, /"no-such-template" not found.*"base"/));
    assert.equal(await Template.exists("base"), true);
    assert.equal(await Template.exists("no-such-template"), false);
  });

  it(
    "runs a mapped template on its configured image",
    sandboxOnly("the second image is an alias of the sandbox's default"),
    async () => {
      assert.equal(await Template.exists("mapped"), true);
      const sandbox = await Sandbox.create("mapped");
      made.push(sandbox.sandboxId);
      assert.equal((await Sandbox.getInfo(sandbox.sandboxId)).templateId, "mapped");
      const container = await server.api("GET", `/bots/${sandbox.sandboxId}/container`);
      assert.equal(container.body.image, "docker.io/botbox/default", JSON.stringify(container.body));
      assert.equal((await sandbox.commands.run("echo mapped")).stdout, "mapped\n");
    },
  );

  it("fails a template whose image the backend lacks, leaving no bot behind", async () => {
    const before = (await server.api("GET", "/bots")).body;
    await assert.rejects(Sandbox.create("missing"), (error: unknown) => {
      assert.ok(error instanceof SandboxError, String(error));
      if (TEST_RUNTIME === "sandbox")
        assert.match(error.message, /^404: image "docker\.io\/botbox\/no-such-image-for-e2b-tests" not found/);
      return true;
    });
    assert.deepEqual((await server.api("GET", "/bots")).body, before);
  });

  it('honours `user: "root"` where the bot\'s user is root, and refuses `user: "user"` by name', async () => {
    const sandbox = await Sandbox.create();
    made.push(sandbox.sandboxId);
    // The bot's one user is root inside it on bwrap, Docker and containerd (docs/runtimes.md).
    assert.equal((await sandbox.commands.run("id -u")).stdout, "0\n");
    assert.equal((await sandbox.commands.run("id -u", { user: "root" })).stdout, "0\n");
    await sandbox.files.write("/data/owned.txt", "root's\n", { user: "root" });
    assert.equal(await sandbox.files.read("/data/owned.txt", { user: "root" }), "root's\n");
    assert.deepEqual(
      (await sandbox.files.list("/data", { user: "root" })).some((entry) => entry.name === "owned.txt"),
      true,
    );
    // E2B's unprivileged user does not exist here: the command is refused, never run as root instead.
    await assert.rejects(sandbox.commands.run("touch /data/as-user", { user: "user" }), /user "user" is not available/);
    await assert.rejects(sandbox.files.read("/data/owned.txt", { user: "user" }), /user "user" is not available/);
    await assert.rejects(
      sandbox.files.write("/data/as-user.txt", "x", { user: "user" }),
      /user "user" is not available/,
    );
    assert.equal(await sandbox.files.exists("/data/as-user"), false);
    assert.equal(await sandbox.files.exists("/data/as-user.txt"), false);
  });

  it("keeps metadata and envs with the bot: listed and applied after a server restart", async () => {
    const sandbox = await Sandbox.create({ metadata: { team: "infra", run: "42" }, envs: { GREETING: "kept" } });
    made.push(sandbox.sandboxId);
    await server.stop();
    server = await startBotboxServer({ home: server.home, env });
    useE2bEnvironment(server);
    assert.deepEqual((await Sandbox.getInfo(sandbox.sandboxId)).metadata, { team: "infra", run: "42" });
    assert.deepEqual((await listed()).get(sandbox.sandboxId), { team: "infra", run: "42" });
    // Sandbox.list's query filters on what was kept: metadata, state, template.
    assert.deepEqual([...(await listed({ metadata: { team: "infra" } })).keys()], [sandbox.sandboxId]);
    assert.deepEqual([...(await listed({ metadata: { team: "other" } })).keys()], []);
    assert.ok((await listed({ state: ["running"], metadata: { run: "42" } })).has(sandbox.sandboxId));
    assert.deepEqual([...(await listed({ state: ["paused"] })).keys()], []);
    const again = await Sandbox.connect(sandbox.sandboxId);
    assert.equal((await again.commands.run('echo "$GREETING"')).stdout, "kept\n");
    // A command's own envs win over the sandbox's, as in E2B.
    assert.equal((await again.commands.run('echo "$GREETING"', { envs: { GREETING: "own" } })).stdout, "own\n");
  });

  it("answers E2B features botbox does not have with 501, naming each", async () => {
    await assert.rejects(
      Sandbox.create({ lifecycle: { onTimeout: "pause" } }),
      refusedWith(501, /pausing a sandbox on timeout \(lifecycle.onTimeout\) is not supported/),
    );
    await assert.rejects(
      Sandbox.create({ allowInternetAccess: false }),
      refusedWith(501, /cutting a sandbox off the internet \(allowInternetAccess\) is not supported/),
    );
    const sandbox = await Sandbox.create();
    made.push(sandbox.sandboxId);
    await assert.rejects(sandbox.createSnapshot(), refusedWith(501, /E2B snapshots is not supported/));
    await assert.rejects(sandbox.getMetrics(), /501.*sandbox metrics and logs is not supported/);
    await assert.rejects(Sandbox.fork(sandbox.sandboxId), refusedWith(501, /forking a sandbox is not supported/));
    // Nothing of a refused call was made: the listing has only the sandboxes created above.
    assert.deepEqual([...(await listed()).keys()].sort(), [...made].sort());
  });
});
