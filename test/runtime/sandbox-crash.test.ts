import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { access, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { CONTAINER_PREFIX } from "../../packages/server/src/runtime/runtime.js";
import { hostIdRegistry } from "../../packages/server/src/runtime/sandbox/host-ids.js";
import { CopyState } from "../../packages/server/src/runtime/sandbox/state/copy-state.js";
import { OverlayState } from "../../packages/server/src/runtime/sandbox/state/overlay-state.js";
import { type Files, GENERATION_1, GENERATION_2, readData } from "./fixtures/crash-data.js";
import { sandboxSuite } from "./support.js";

const run = promisify(execFile);
const CRASH_STATE = fileURLToPath(new URL("./fixtures/crash-state.ts", import.meta.url));
const asRoot = process.getuid?.() === 0;

/** /data after applying `generations` in order. */
function dataOf(...generations: Files[]): Record<string, string> {
  const data: Record<string, string> = {};
  for (const generation of generations)
    for (const [name, content] of Object.entries(generation)) {
      if (content === null) delete data[name];
      else data[name] = content;
    }
  return Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
}
const LAYERS = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`layer-${i + 1}`, String(i + 1)]));
const BEFORE = dataOf(GENERATION_1);
const LATEST = dataOf(GENERATION_1, GENERATION_2);

interface Case {
  operation: "commit" | "flatten" | "restore" | "delete";
  crashAt: string;
  /** Whether the change reached its commit point before the crash. */
  done: boolean;
  mode?: "overlay" | "disk" | "copy";
}

const CASES: Case[] = [
  ...["intent-written", "upper-moved", "upper-made", "index-written", "intent-cleared"].map((step, i) => ({
    operation: "commit" as const,
    crashAt: `commit:${step}`,
    done: i >= 3,
  })),
  { operation: "flatten", crashAt: "flatten:mounted", done: false },
  { operation: "flatten", crashAt: "commit:flattened", done: false },
  { operation: "flatten", crashAt: "commit:index-written", done: true },
  { operation: "flatten", crashAt: "flatten:mounted", done: false, mode: "disk" },
  ...["intent-written", "upper-moved", "upper-made", "index-written", "intent-cleared"].map((step, i) => ({
    operation: "restore" as const,
    crashAt: `restore:${step}`,
    done: i >= 3,
  })),
  { operation: "delete", crashAt: "delete:index-written", done: true },
  { operation: "commit", crashAt: "copy-commit:copied", done: false, mode: "copy" },
  ...["copied", "upper-moved", "copy-moved"].map((step) => ({
    operation: "restore" as const,
    crashAt: `copy-restore:${step}`,
    done: false,
    mode: "copy" as const,
  })),
  { operation: "delete", crashAt: "copy-delete:index-written", done: true, mode: "copy" },
];

describe("sandbox state: a crash at any step of a change loses nothing", { skip: !asRoot && "needs root" }, () => {
  const suite = sandboxSuite();

  /** Runs the fixture, which must die of SIGKILL at `crashAt`. */
  const crash = async (botId: string, mode: string, operation: string, crashAt: string) => {
    const result = await run(process.execPath, [
      "--import",
      "tsx",
      CRASH_STATE,
      suite.home,
      botId,
      mode,
      operation,
      crashAt,
    ])
      .then(({ stdout }) => `exited: ${stdout}`)
      .catch((error: { signal?: string; stderr?: string }) => error.signal ?? `failed: ${error.stderr}`);
    assert.equal(result, "SIGKILL", `the fixture did not crash at ${crashAt}`);
  };

  /** What nothing may leave behind: a change's log, mounts, unused layers or copies, trash. */
  const assertTidy = async (botId: string, mode: string) => {
    const root = path.join(suite.home, "bots", botId);
    const state = path.join(root, "state");
    const mounts = (await readFile("/proc/self/mountinfo", "utf8"))
      .split("\n")
      .map((line) => line.split(" ")[4] ?? "")
      .filter((point) => point.startsWith(`${root}/`) && point !== state);
    assert.deepEqual(mounts, [], "mounts left");
    const entries = await readdir(state);
    assert.deepEqual(
      entries.filter((entry) => /intent|trash|restore-|\.tmp$/.test(entry)),
      [],
      "leftovers in state/",
    );
    const index = JSON.parse(await readFile(path.join(state, "index.json"), "utf8")) as {
      active: { layers: string[] };
      snapshots: { layers: string[] }[];
    };
    const used = new Set([...index.active.layers, ...index.snapshots.flatMap((snapshot) => snapshot.layers)]);
    const stored = await readdir(path.join(state, mode === "copy" ? "snapshots" : "layers"));
    assert.deepEqual(stored.sort(), [...used].sort(), "layers or copies no snapshot refers to");
  };

  for (const { operation, crashAt, done, mode = "overlay" } of CASES) {
    it(`${operation} killed at ${crashAt}${mode === "overlay" ? "" : ` (${mode})`}`, async () => {
      const botId = randomUUID();
      const id = CONTAINER_PREFIX + botId;
      await crash(botId, mode, operation, crashAt);
      const root = path.join(suite.home, "bots", botId);
      const extra = operation === "flatten" ? LAYERS : {};
      const previous = operation === "flatten" ? ["l1", "l2", "l3", "l4", "l5", "l6", "l7"] : [];
      const expected = {
        commit: { snapshots: done ? ["s1", "s2"] : ["s1"], data: LATEST },
        flatten: { snapshots: ["s1", ...previous, ...(done ? ["s2"] : [])], data: { ...LATEST, ...extra } },
        restore: { snapshots: ["s1"], data: done ? BEFORE : LATEST },
        delete: { snapshots: done ? [] : ["s1"], data: LATEST },
      }[operation];
      expected.data = Object.fromEntries(Object.entries(expected.data).sort(([a], [b]) => a.localeCompare(b)));

      if (mode === "copy") {
        // First use in this process: recovers.
        const state = new CopyState(path.join(root, "state"), { uid: 0, gid: 0 });
        assert.deepEqual(
          (await state.list()).map((snapshot) => snapshot.name),
          expected.snapshots,
        );
        assert.deepEqual(await readData(path.join(root, "state", "upper", "data")), expected.data);
        await assertTidy(botId, mode);
        await state.commit("after");
        if (expected.snapshots.includes("s1")) {
          await state.restore("s1");
          assert.deepEqual(await readData(path.join(root, "state", "upper", "data")), BEFORE);
        }
        await state.delete("after");
        await assertTidy(botId, mode);
        return;
      }

      // The runtime's first use of the bot's state recovers it.
      const names = (await suite.runtime.listSnapshots(id)).map((snapshot) => snapshot.name);
      assert.deepEqual(names, expected.snapshots);
      const { identity } = JSON.parse(await readFile(path.join(root, "container.json"), "utf8")) as {
        identity: { uid: number; gid: number };
      };
      const state = new OverlayState(path.join(root, "state"), path.join(root, "rootfs-state"), identity);
      const view = async () => {
        const data = await readData(path.join(await state.activate(), "data"));
        await state.deactivate();
        return data;
      };
      assert.deepEqual(await view(), expected.data);
      await assertTidy(botId, mode);
      // Further changes work, and every snapshot left is whole.
      await suite.runtime.commitSnapshot(id, "after");
      if (expected.snapshots.includes("s2")) {
        await suite.runtime.restoreSnapshot(id, "s2");
        assert.deepEqual(await view(), dataOf(LATEST, extra));
      }
      if (expected.snapshots.includes("s1")) {
        await suite.runtime.restoreSnapshot(id, "s1");
        assert.deepEqual(await view(), BEFORE);
      }
      await suite.runtime.restoreSnapshot(id, "after");
      assert.deepEqual(await view(), expected.data);
      await assertTidy(botId, mode);
      await suite.runtime.deleteContainer(id);
      await assertGone(suite.home, botId, identity.uid);
    });
  }

  it("a delete right after a crash that left a mount succeeds and releases the host uid", async () => {
    const botId = randomUUID();
    await crash(botId, "overlay", "flatten", "flatten:mounted");
    const root = path.join(suite.home, "bots", botId);
    const { identity } = JSON.parse(await readFile(path.join(root, "container.json"), "utf8")) as {
      identity: { uid: number };
    };
    await suite.runtime.deleteContainer(CONTAINER_PREFIX + botId);
    await assertGone(suite.home, botId, identity.uid);
  });

  for (const crashAt of ["container-delete:renamed", "container-delete:emptied"]) {
    it(`container delete killed at ${crashAt} is finished at the next listing`, async () => {
      const botId = randomUUID();
      await crash(botId, "overlay", "delete-container", crashAt);
      const bots = path.join(suite.home, "bots");
      const deleting = (await readdir(bots)).find((entry) => entry.startsWith(`.deleting-${botId}-`));
      assert.ok(deleting, "the crash came after the rename");
      const owner = JSON.parse(await readFile(path.join(bots, deleting, "owner.json"), "utf8")) as { uid: number };
      const fresh = suite.another();
      try {
        assert.equal(await fresh.getContainer(CONTAINER_PREFIX + botId), undefined);
        await fresh.listContainers();
      } finally {
        await fresh.close();
      }
      await assertGone(suite.home, botId, owner.uid);
    });
  }
});

/** The bot's folder, any folder of an interrupted delete and its host uid are gone. */
async function assertGone(home: string, botId: string, uid: number): Promise<void> {
  const bots = await readdir(path.join(home, "bots"));
  assert.deepEqual(
    bots.filter((entry) => entry.includes(botId)),
    [],
    "the bot's folder is left",
  );
  const registered = await access(path.join(hostIdRegistry(), String(uid))).then(
    () => true,
    () => false,
  );
  assert.equal(registered, false, `host uid ${uid} is still taken`);
}
