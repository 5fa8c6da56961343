/**
 * The behaviour every runtime backend must show, run by each backend's own
 * test file (Hono-style): `runRuntimeContract({ name, newRuntime, reopen, skip })`.
 * Its parts: this file (images, containers, tasks, /data, snapshots),
 * contract-state.ts (a new runtime instance, the root file system in
 * snapshots, upgrade) and contract-confinement.ts (bots apart, limits).
 * What a backend may lack is read from its declared capabilities (and
 * optional methods), never from its name; a test skipped by name, with a
 * reason, is the last resort.
 * A backend whose `capabilities.confined` is false (bots as plain host
 * processes) is held to refusing network "none" instead of enforcing it, and
 * its bots run commands as the user running the tests rather than as root.
 * Files are named relative to the bot's data folder, which the agent resolves
 * against its own: /data in a container, a folder per bot on the host otherwise.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { BadRequestError, ConflictError, NotFoundError } from "../../packages/server/src/errors.js";
import { BOT_LABEL, type ContainerRuntime } from "../../packages/server/src/runtime/runtime.js";
import { runConfinementContract } from "./contract-confinement.js";
import { contractContext, type RuntimeContractOptions } from "./contract-context.js";
import { runStateContract } from "./contract-state.js";
import { buildImageTar, waitForAgent } from "./support.js";

export type { RuntimeContractOptions } from "./contract-context.js";

export function runRuntimeContract(options: RuntimeContractOptions): void {
  const image = options.image ?? "botbox/default";
  if (options.unavailable) {
    describe(`runtime contract: ${options.name}`, () => {
      it("runs against the backend's service", { skip: options.unavailable }, () => {});
    });
    return;
  }

  describe(`runtime contract: ${options.name}`, () => {
    let runtime: ContainerRuntime;
    const context = contractContext(options, () => runtime);
    const { janitor, confined, spec, create, started, sh, test } = context;

    before(async () => {
      runtime = await options.newRuntime();
      // What `botbox serve` learns before its first bot: the capabilities the contract reads.
      await runtime.detectCapabilities?.();
    });
    after(async () => {
      await janitor.cleanUp();
      await runtime.close();
    });

    test("doctor names every check and says what it found", async () => {
      const checks = await runtime.doctor();
      assert.ok(checks.length > 0);
      for (const check of checks) assert.ok(check.name && check.detail && typeof check.ok === "boolean");
    });

    test("ensureImage gives a stable id and listImages includes the image", async () => {
      const first = await runtime.ensureImage(image);
      assert.deepEqual((await runtime.ensureImage(image)).id, first.id);
      assert.ok((await runtime.listImages()).some((listed) => listed.id === first.id));
    });

    test("a container is found by id and by labels, with its bot label", async () => {
      const created = await create({ labels: { team: "blue", tier: "a" } });
      const info = await runtime.getContainer(created.id);
      assert.equal(info?.botId, created.botId);
      assert.equal(info?.labels[BOT_LABEL], created.botId);
      assert.equal(info?.network, created.network);
      const ids = async (labels: Record<string, string>) => (await runtime.listContainers(labels)).map((c) => c.id);
      assert.ok((await ids({ team: "blue" })).includes(created.id));
      assert.ok((await ids({ team: "" })).includes(created.id), "an empty value matches any value");
      assert.ok(!(await ids({ team: "red" })).includes(created.id));
      assert.ok(!(await ids({ team: "blue", other: "" })).includes(created.id), "every label must be present");
    });

    test("creating a container twice is a conflict", async () => {
      const created = await create();
      await assert.rejects(runtime.createContainer(created), ConflictError);
    });

    test("bad specs are refused", async () => {
      await assert.rejects(runtime.createContainer({ ...spec(), network: "bridge" as "host" }), BadRequestError);
      await assert.rejects(runtime.createContainer({ ...spec(), id: "not-the-bot" }), BadRequestError);
      // An agent without a token would answer anyone who reaches it.
      for (const agentToken of ["", "two words", "tab\there"])
        await assert.rejects(
          runtime.createContainer({ ...spec(), agentToken }),
          (error: unknown) => error instanceof BadRequestError && /agentToken/.test(error.message),
        );
    });

    test("unknown containers: getContainer gives undefined, the rest NotFoundError", async () => {
      const unknown = spec().id;
      assert.equal(await runtime.getContainer(unknown), undefined);
      await assert.rejects(runtime.startTask(unknown), NotFoundError);
      await assert.rejects(runtime.taskInfo(unknown), NotFoundError);
      await assert.rejects(runtime.deleteContainer(unknown), NotFoundError);
    });

    test("a container has no task until started", async () => {
      const created = await create();
      assert.equal((await runtime.taskInfo(created.id)).state, "missing");
      assert.equal(await runtime.agentEndpoint(created.id), undefined);
    });

    test("a started task's agent answers Info with the bot id, and runs commands as root (or as the host user, unconfined)", async () => {
      const [created, client] = await started();
      const task = await runtime.taskInfo(created.id);
      assert.equal(task.state, "running");
      assert.ok(task.pid && task.pid > 0);
      assert.equal((await client.info()).botId, created.botId);
      assert.equal(await sh(client, "id -u"), confined() ? "0" : String(process.getuid?.()));
      await assert.rejects(runtime.startTask(created.id), ConflictError);
      await assert.rejects(runtime.deleteContainer(created.id), ConflictError);
    });

    test("/data survives a stop and a start", async () => {
      const [created, client] = await started();
      await client.writeFile("kept.txt", "still here");
      const stopped = await runtime.stopTask(created.id, { timeoutMs: 5_000 });
      assert.equal(stopped.state, "stopped");
      assert.equal(await runtime.agentEndpoint(created.id), undefined);
      assert.equal((await runtime.stopTask(created.id)).state, "stopped", "stopping again is harmless");
      await runtime.startTask(created.id);
      const again = janitor.client(await waitForAgent(runtime, created.id));
      assert.equal((await again.readFile("kept.txt")).content, "     1\tstill here\n");
    });

    test("a container with network none has only a loopback interface", async () => {
      if (!confined()) {
        // Without a network namespace of its own "none" cannot hold: refused, never claimed.
        await assert.rejects(
          runtime.createContainer(spec({ network: "none" })),
          (error: unknown) => error instanceof BadRequestError && /network "none"/.test(error.message),
        );
        return;
      }
      const [, client] = await started({ network: "none" });
      const interfaces = (await sh(client, "cat /proc/net/dev")).split("\n").slice(2);
      assert.deepEqual(
        interfaces.map((line) => line.split(":")[0]!.trim()),
        ["lo"],
      );
    });

    test("deleting a container deletes its data", async () => {
      const [created, client] = await started();
      await client.writeFile("gone.txt", "x");
      await runtime.stopTask(created.id);
      await runtime.deleteContainer(created.id);
      assert.equal(await runtime.getContainer(created.id), undefined);
      await runtime.createContainer(created);
      await runtime.startTask(created.id);
      const again = janitor.client(await waitForAgent(runtime, created.id));
      await assert.rejects(again.stat("gone.txt"), NotFoundError);
    });

    test("deleting with keepData keeps /data for the bot's next container", async () => {
      const [created, client] = await started();
      await client.writeFile("kept.txt", "kept");
      await runtime.stopTask(created.id);
      await runtime.deleteContainer(created.id, { keepData: true });
      assert.equal(await runtime.getContainer(created.id), undefined);
      await runtime.createContainer(created);
      await runtime.startTask(created.id);
      const again = janitor.client(await waitForAgent(runtime, created.id));
      assert.equal((await again.readFile("kept.txt")).content, "     1\tkept\n");
    });

    test("snapshots: commit, change, restore gives the committed files back", async () => {
      const [created, client] = await started();
      await client.writeFile("a.txt", "one");
      await client.writeFile("b.txt", "two");
      await assert.rejects(runtime.commitSnapshot(created.id, "s1"), ConflictError, "the task must be stopped");
      await runtime.stopTask(created.id);
      const snapshot = await runtime.commitSnapshot(created.id, "s1");
      assert.equal(snapshot.name, "s1");
      await assert.rejects(runtime.commitSnapshot(created.id, "s1"), ConflictError);
      assert.equal((await runtime.getContainer(created.id))?.parentSnapshot, "s1");
      await runtime.startTask(created.id);
      let agent = janitor.client(await waitForAgent(runtime, created.id));
      await agent.writeFile("a.txt", "changed");
      await agent.deleteFile("b.txt");
      await agent.writeFile("c.txt", "new");
      await runtime.stopTask(created.id);
      await runtime.restoreSnapshot(created.id, "s1");
      await runtime.startTask(created.id);
      agent = janitor.client(await waitForAgent(runtime, created.id));
      assert.equal((await agent.readFile("a.txt")).content, "     1\tone\n");
      assert.equal((await agent.readFile("b.txt")).content, "     1\ttwo\n");
      await assert.rejects(agent.stat("c.txt"), NotFoundError);
      await runtime.stopTask(created.id);
      assert.deepEqual(
        (await runtime.listSnapshots(created.id)).map((listed) => listed.name),
        ["s1"],
      );
      await assert.rejects(runtime.restoreSnapshot(created.id, "nope"), NotFoundError);
      await runtime.deleteSnapshot(created.id, "s1");
      assert.deepEqual(await runtime.listSnapshots(created.id), []);
    });

    test("a container can start from a snapshot of the bot's kept state", async () => {
      const [created, client] = await started();
      await client.writeFile("version.txt", "v1");
      await runtime.stopTask(created.id);
      await runtime.commitSnapshot(created.id, "v1");
      await runtime.deleteContainer(created.id, { keepData: true });
      await runtime.createContainer({ ...created, fromSnapshot: "v1" });
      assert.equal((await runtime.getContainer(created.id))?.parentSnapshot, "v1");
      await runtime.startTask(created.id);
      const again = janitor.client(await waitForAgent(runtime, created.id));
      assert.equal((await again.readFile("version.txt")).content, "     1\tv1\n");
    });

    test("an image tar is imported, listed and deleted", async () => {
      const folder = await mkdtemp(path.join(tmpdir(), "botbox-image-"));
      try {
        const tar = await buildImageTar(folder, [{ "hello.txt": "hello" }]);
        const imported = await runtime.importImage("test/contract:1", tar);
        assert.equal(imported.ref, "test/contract:1");
        assert.equal((await runtime.ensureImage("test/contract:1")).id, imported.id);
        assert.ok((await runtime.listImages()).some((listed) => listed.ref === "test/contract:1"));
        await runtime.deleteImage("test/contract:1");
        await assert.rejects(runtime.ensureImage("test/contract:1"), NotFoundError);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    runStateContract(context);
    runConfinementContract(context);
  });
}
