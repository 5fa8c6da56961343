// The host never dials a path a bot controls (issue 13 §7): once the host has
// taken over a bot's agent socket, the bot cannot delete, rename or replace
// it, and a symlink or foreign socket found at the path is refused rather
// than dialled (the host would otherwise send this bot's token to another
// bot's agent).
import assert from "node:assert/strict";
import { rename, rm, symlink } from "node:fs/promises";
import { after, before, describe, it } from "node:test";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import type { ContainerRuntime, ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { botPaths } from "../../packages/server/src/runtime/sandbox/layout.js";
import { botSpec, Janitor, makeHome, sandboxSuite, waitForAgent } from "../runtime/support.js";
import { TEST_RUNTIME } from "../support/botbox-server.js";
import { openRuntime } from "../support/runtimes.js";

const asRoot = process.getuid?.() === 0;

describe(
  "agent socket",
  { skip: (!asRoot && "the takeover needs root") || (TEST_RUNTIME !== "sandbox" && "the sandbox's takeover") },
  () => {
    const suite = sandboxSuite();
    const bots: { spec: ContainerSpec; client: AgentClient }[] = [];

    before(async () => {
      for (let i = 0; i < 2; i++) {
        const [spec, client] = await suite.started();
        bots.push({ spec, client });
      }
    });

    it("the bot cannot delete, rename or replace its agent's socket, though it may use the folder", async () => {
      const { client } = bots[0]!;
      for (const command of [
        "rm -f /run/botbox/agent.sock",
        "mv /run/botbox/agent.sock /run/botbox/moved",
        "ln -sfn /tmp/x /run/botbox/agent.sock",
      ]) {
        const result = await client.exec(command);
        assert.notEqual(result.exitCode, 0, `${command} succeeded`);
        assert.match(result.stderr, /Operation not permitted/, command);
      }
      const own = await client.exec(
        "echo x > /run/botbox/own && mv /run/botbox/own /run/botbox/own2 && rm /run/botbox/own2 && echo ok",
      );
      assert.equal(own.stdout.trim(), "ok", own.stderr);
      assert.equal((await client.info()).botId, bots[0]!.spec.botId, "the agent still answers");
    });

    it("a symlink at the socket path is refused, not followed to another bot's agent", async () => {
      const [a, b] = [botPaths(suite.home, bots[0]!.spec.botId), botPaths(suite.home, bots[1]!.spec.botId)];
      assert.ok(await suite.runtime.agentEndpoint(bots[0]!.spec.id), "the genuine socket is dialled");
      // As if the bot had swapped it before the host took it over.
      await rename(a.socket, `${a.socket}.real`);
      await symlink(b.socket, a.socket);
      try {
        await assert.rejects(suite.runtime.agentEndpoint(bots[0]!.spec.id), /symbolic link/);
      } finally {
        await rm(a.socket);
        await rename(`${a.socket}.real`, a.socket);
      }
      assert.ok(await suite.runtime.agentEndpoint(bots[0]!.spec.id));
    });
  },
);

// On Docker and containerd root in the bot may replace anything in its run
// folder, so the host checks what it finds at the socket path each time it
// resolves the bot's endpoint: a symlink the bot left there (to another bot's
// socket, on the host's side of the bind mount) is refused, not dialled.
describe(`agent socket swapped from inside a bot (${TEST_RUNTIME})`, () => {
  const containers = TEST_RUNTIME !== "sandbox";
  let home: string;
  let runtime: ContainerRuntime;
  let image: string;
  const janitor = new Janitor();
  const bots: ContainerSpec[] = [];
  let inside: AgentClient;

  before(async () => {
    if (!containers) return;
    home = await makeHome();
    ({ runtime, image } = await openRuntime(TEST_RUNTIME, home));
    for (let i = 0; i < 2; i++) {
      const spec = botSpec({ image, network: "none" });
      janitor.track(runtime, spec.id);
      await runtime.createContainer(spec);
      await runtime.startTask(spec.id);
      const agent = janitor.client(await waitForAgent(runtime, spec.id, 30_000));
      if (bots.length === 0) inside = agent;
      bots.push(spec);
    }
  });
  after(async () => {
    if (!containers) return;
    await janitor.cleanUp();
    await rm(home, { recursive: true, force: true });
  });

  it(
    "a symlink the bot puts at its socket path is refused, not followed to another bot's agent",
    { skip: !containers && "the sandbox bot cannot replace its socket (above)" },
    async () => {
      const [a, b] = bots as [ContainerSpec, ContainerSpec];
      const genuine = await runtime.agentEndpoint(a.id);
      assert.ok(genuine, "the genuine socket is dialled");
      const other = (await runtime.agentEndpoint(b.id))!.address.replace(/^unix:/, "");
      const swapped = await inside.exec(
        `mv /run/botbox/agent.sock /run/botbox/real.sock && ln -s ${other} /run/botbox/agent.sock && echo swapped`,
      );
      assert.equal(swapped.stdout.trim(), "swapped", swapped.stderr);
      try {
        await assert.rejects(runtime.agentEndpoint(a.id), /symbolic link/);
      } finally {
        const restored = await inside.exec(
          "rm /run/botbox/agent.sock && mv /run/botbox/real.sock /run/botbox/agent.sock",
        );
        assert.equal(restored.exitCode, 0, restored.stderr);
      }
      assert.ok(await runtime.agentEndpoint(a.id), "the genuine socket again");
    },
  );
});
