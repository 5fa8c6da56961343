// The E2B front end's mappings (docs/e2b.md), through the official `e2b`
// package configured only by E2B_API_KEY, E2B_API_URL and E2B_SANDBOX_URL:
// templates as images ([e2b] templates), E2B's `user` option, metadata and
// envs kept with the bot across a server restart, and E2B features botbox
// does not have answered 501 in E2B's error shape, naming the feature.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import { Sandbox, SandboxError, type SandboxListOpts, Template } from "e2b";

import { e2bKeyFor } from "../../packages/server/src/e2b/index.js";
import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/index.js";
import { CONTAINERD_SOCKET } from "../runtime/containerd-support.js";
import { dockerClient } from "../runtime/docker-support.js";
import { type BotboxServer, startBotboxServer, TEST_RUNTIME } from "../support/botbox-server.js";
import { useE2bEnvironment } from "./support.js";

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

// "mapped" is a second name of the backend's default image: on the sandbox
// one it has already (botbox/default), on Docker and containerd a tag the
// test adds to the agent image (secondImageTag), so a second template runs
// without pulling anything from the internet. "missing" names an image no
// backend has (none pulls): its create must fail and leave nothing behind.
const MAPPED_IMAGE = TEST_RUNTIME === "sandbox" ? "botbox/default" : "botbox/e2b-mapped:test";
const TEMPLATES = `mapped=${MAPPED_IMAGE},missing=botbox/no-such-image-for-e2b-tests`;
const run = promisify(execFile);

/** Tags the agent image Docker and containerd bots run as MAPPED_IMAGE; returns the untag. */
async function secondImageTag(): Promise<() => Promise<void>> {
  const agentImage = `docker.io/${DEFAULT_AGENT_IMAGE}`;
  const mapped = `docker.io/${MAPPED_IMAGE}`;
  if (TEST_RUNTIME === "docker") {
    const docker = dockerClient();
    await docker.getImage(agentImage).tag({ repo: "botbox/e2b-mapped", tag: "test" });
    return async () => void (await docker.getImage(mapped).remove());
  }
  // containerd keeps the names as the image tar gave them, not normalised.
  const ctr = (...args: string[]) => run("ctr", ["-a", CONTAINERD_SOCKET, "-n", "default", "images", ...args]);
  await ctr("tag", "--force", DEFAULT_AGENT_IMAGE, MAPPED_IMAGE);
  return async () => void (await ctr("rm", MAPPED_IMAGE));
}

describe("E2B templates, users, kept create options and unsupported calls", { timeout: 240_000 }, () => {
  let server: BotboxServer;
  const env = { BOTBOX_E2B_ENABLED: "true", BOTBOX_E2B_TEMPLATES: TEMPLATES };
  const made: string[] = [];

  before(async () => {
    server = await startBotboxServer({ env });
    useE2bEnvironment(server, e2bKeyFor(server.adminToken));
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

  it("runs a mapped template on its configured image", async () => {
    assert.equal(await Template.exists("mapped"), true);
    const untag = TEST_RUNTIME === "sandbox" ? undefined : await secondImageTag();
    try {
      const sandbox = await Sandbox.create("mapped");
      made.push(sandbox.sandboxId);
      assert.equal((await Sandbox.getInfo(sandbox.sandboxId)).templateId, "mapped");
      const container = await server.api("GET", `/bots/${sandbox.sandboxId}/container`);
      assert.equal(container.body.image, `docker.io/${MAPPED_IMAGE}`, JSON.stringify(container.body));
      assert.equal((await sandbox.commands.run("echo mapped")).stdout, "mapped\n");
      // Gone before its image's second name is: the last test counts the sandboxes left.
      await Sandbox.kill(sandbox.sandboxId);
      made.splice(made.indexOf(sandbox.sandboxId), 1);
    } finally {
      await untag?.();
    }
  });

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
    useE2bEnvironment(server, e2bKeyFor(server.adminToken));
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
