/**
 * What the disk quota tests of the container backends (Docker and
 * containerd, *-disk.test.ts) share: the sizes, the write that fills past
 * the quota, and the tests that read the same on both. Sizes stay small
 * (96 MiB quota, 128 MiB writes).
 */
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { it } from "node:test";

import type { ContainerRuntime, ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import type { BackendSuite } from "./support.js";

export const QUOTA = 96 * 2 ** 20;

/** 128 MiB in 1 MiB blocks: past the quota; prints dd's output (its error, if any) and "exit <code>". */
export const fill = (file: string): string =>
  `{ dd if=/dev/zero of=${file} bs=1M count=128 2>&1; echo "exit $?"; sync; }`;

/** Whether anything is mounted at or below `folder`. */
export const mounted = async (folder: string): Promise<boolean> =>
  (await readFile("/proc/self/mountinfo", "utf8")).includes(folder);

/** The bot's folder under the suite's home, where its disk image lives. */
export const botRootIn = (home: string, spec: ContainerSpec): string => path.join(home, "bots", spec.botId);

/** Registers the tests both backends pass alike; `file` is where a bot without a quota writes. */
export function sharedDiskQuotaTests<R extends ContainerRuntime>(suite: BackendSuite<R>, file: string): void {
  it("a bot without a quota writes the same 128 MiB (the quota is what stops it)", async () => {
    const [, client] = await suite.started();
    assert.equal(
      await suite.output(client, `${fill(file)} >/dev/null; stat -c %s ${file}; rm ${file}`),
      String(128 * 2 ** 20),
    );
  });

  it("deleting the bot unmounts its image and removes it", async () => {
    const [spec] = await suite.started({ limits: { diskBytes: QUOTA } });
    const root = botRootIn(suite.home, spec);
    assert.ok(await mounted(root));
    await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 });
    await suite.runtime.deleteContainer(spec.id);
    await assert.rejects(stat(root), /ENOENT/);
    assert.ok(!(await mounted(root)));
  });

  it("refuses a quota below 64 MiB with a clear error", async () => {
    await assert.rejects(suite.created({ limits: { diskBytes: 2 ** 20 } }), /at least .*64 MiB/);
  });
}
