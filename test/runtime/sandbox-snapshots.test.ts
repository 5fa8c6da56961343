import assert from "node:assert/strict";
import { copyFile, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";

import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { MAX_LAYERS } from "../../packages/server/src/runtime/sandbox/index.js";
import { sandboxSuite, waitForAgent } from "./support.js";

const asRoot = process.getuid?.() === 0;

/** Every path under /data with its type, mode, size, link target and content hash. */
const TREE = `cd /data && find . -printf '%p %y %m %s %l\\n' | sort && find . -type f -exec sha256sum {} + | sort`;

describe("sandbox snapshots", () => {
  const suite = sandboxSuite();

  /** Runs `command` in a started task, then stops it: snapshots need a stopped task. */
  const inBot = async (spec: ContainerSpec, command: string): Promise<string> => {
    await suite.runtime.startTask(spec.id);
    const agent = await waitForAgent(suite.runtime, spec.id);
    try {
      const result = await agent.client.exec(command, { timeoutSeconds: 60 });
      assert.equal(result.exitCode, 0, result.stderr);
      return result.stdout;
    } finally {
      agent.client.close();
      await suite.runtime.stopTask(spec.id);
    }
  };

  it("restore gives back the exact tree: contents, modes, links, deletions", async () => {
    const spec = await suite.created();
    const committed = await inBot(
      spec,
      `mkdir -p /data/a/b /data/empty /data/gone && echo one > /data/a/b/f && echo two > /data/g && chmod 600 /data/g
       ln -s a/b/f /data/link && echo x > /data/gone/x && ${TREE}`,
    );
    await suite.runtime.commitSnapshot(spec.id, "base");
    const changed = await inBot(
      spec,
      `echo changed > /data/a/b/f && rm -rf /data/gone && mkdir /data/gone && echo new > /data/gone/y
       chmod 644 /data/g && rm /data/link && ln -s g /data/link && rmdir /data/empty && echo more > /data/new && ${TREE}`,
    );
    assert.notEqual(changed, committed);
    await suite.runtime.restoreSnapshot(spec.id, "base");
    assert.equal(await inBot(spec, TREE), committed);
  });

  it(`chains are squashed past ${MAX_LAYERS} layers and every snapshot still restores exactly`, async () => {
    const spec = await suite.created();
    const trees: string[] = [];
    for (let round = 0; round < MAX_LAYERS + 3; round++) {
      trees.push(
        await inBot(
          spec,
          `echo ${round} > /data/round && rm -rf /data/dir && mkdir /data/dir && echo ${round} > /data/dir/r${round}
           rm -f /data/f${round - 1} && echo ${round} > /data/f${round} && ${TREE}`,
        ),
      );
      await suite.runtime.commitSnapshot(spec.id, `round-${round}`);
    }
    const index = JSON.parse(
      await readFile(path.join(suite.home, "bots", spec.botId, "state", "index.json"), "utf8"),
    ) as {
      active: { layers: string[] };
    };
    if (asRoot) assert.ok(index.active.layers.length <= MAX_LAYERS, `chain of ${index.active.layers.length}`);
    // Before the squash, the squashed one itself, and after it.
    for (const round of [2, MAX_LAYERS, MAX_LAYERS + 2, MAX_LAYERS - 1]) {
      await suite.runtime.restoreSnapshot(spec.id, `round-${round}`);
      assert.equal(await inBot(spec, TREE), trees[round], `round ${round}`);
    }
  });

  it("a commit costs what changed, not the size of /data", async () => {
    const spec = await suite.created();
    await inBot(spec, "head -c 200M /dev/zero > /data/big");
    let started = Date.now();
    await suite.runtime.commitSnapshot(spec.id, "with-big-file");
    const firstCommitMs = Date.now() - started;
    await inBot(spec, "head -c 1K /dev/urandom > /data/small");
    started = Date.now();
    await suite.runtime.commitSnapshot(spec.id, "small-change");
    const commitMs = Date.now() - started;
    started = Date.now();
    await suite.runtime.restoreSnapshot(spec.id, "with-big-file");
    const restoreMs = Date.now() - started;
    // The baseline: copying the 200 MiB file once.
    const big = await findBig(suite.home, spec.botId);
    started = Date.now();
    await copyFile(big, `${big}.copy`);
    const copyMs = Date.now() - started;
    await rm(`${big}.copy`);
    console.log(
      `snapshot of 200 MiB + 1 KiB: first commit ${firstCommitMs} ms, commit ${commitMs} ms, restore ${restoreMs} ms; copying 200 MiB takes ${copyMs} ms`,
    );
    // Generous and stable: a commit is a rename (a few ms) whatever /data holds;
    // the copy baseline is only printed, the page cache makes it vary.
    if (asRoot) assert.ok(commitMs < 250, `commit took ${commitMs} ms`);
  });
});

async function findBig(home: string, botId: string): Promise<string> {
  const state = path.join(home, "bots", botId, "state");
  const index = JSON.parse(await readFile(path.join(state, "index.json"), "utf8")) as { active: { layers: string[] } };
  const layer = index.active.layers[0];
  return layer ? path.join(state, "layers", layer, "data", "big") : path.join(state, "upper", "data", "big");
}
