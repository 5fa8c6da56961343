/**
 * The runtime contract, part three: what keeps bots apart and bounded, for
 * the backends that declare it. A confined backend's bots cannot see each
 * other's files or processes, and with `isolatedNetwork` an isolated bot
 * cannot reach another's listener. A backend that declares
 * `resourceLimits` puts memory, pids and cpu limits on the cgroup of the
 * bot's processes (read back from the kernel); one that declares it false
 * refuses them.
 */
import assert from "node:assert/strict";
import { access } from "node:fs/promises";

import { BadRequestError } from "../../packages/server/src/errors.js";
import type { ResourceLimits } from "../../packages/server/src/runtime/runtime.js";
import { kernelLimitsOf } from "./cgroup-files.js";
import type { ContractContext } from "./contract-context.js";
import { greeterIn, probe } from "./isolation-support.js";

const LIMITS = { memoryBytes: 256 * 2 ** 20, pids: 64, cpus: 0.5 } satisfies ResourceLimits;
export function runConfinementContract(context: ContractContext): void {
  const { started, sh, test } = context;

  test("bots cannot reach each other: not another bot's files, processes or (isolated) listener", async (t) => {
    if (!context.confined()) {
      t.skip("the backend's bots are plain host processes (capabilities.confined is false)");
      return;
    }
    const isolated = context.runtime.capabilities?.isolatedNetwork === true;
    const network = isolated ? "isolated" : "none";
    const [other, second] = await started({ network });
    const [, first] = await started({ network });
    const marker = `marker-${other.botId}`;
    await second.writeFile(`${marker}.txt`, "the other bot's");
    // Every folder a bot may write to: the search costs little, unlike one of the whole tree.
    const search = `find /data /root /tmp /home /app /run /var /mnt /srv -name '${marker}*' 2>/dev/null; echo end`;
    assert.match(await sh(second, search), new RegExp(`/data/${marker}\\.txt\\nend$`), "the search finds it");
    assert.equal(await sh(first, search), "end", "another bot's file is nowhere in this bot's tree");
    assert.ok(!(await sh(first, "cat /proc/self/mountinfo")).includes(other.botId), "nothing of it is mounted here");
    const seen = await sh(first, "cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n'");
    assert.ok(seen.length > 0 && !seen.includes(other.agentToken), "its token is in none of this bot's processes");
    if (!isolated) return;
    // greeterIn waits until the listener answers the bot itself at that address: the probe can succeed.
    const { address, port } = await greeterIn(second);
    assert.equal(await probe(first, address, port), "blocked", "another isolated bot cannot reach it");
  });

  test("memory, pids and cpu limits reach the kernel, or are refused where the backend declares it cannot", async (t) => {
    const { runtime } = context;
    const declared = runtime.capabilities?.resourceLimits;
    if (declared === undefined) {
      t.skip("the backend does not declare resourceLimits here");
      return;
    }
    if (!declared) {
      for (const [name, value] of Object.entries(LIMITS))
        await assert.rejects(
          runtime.createContainer(context.spec({ limits: { [name]: value } })),
          (error: unknown) => error instanceof BadRequestError && error.message.includes(name),
        );
      return;
    }
    const [created, client] = await started({ limits: LIMITS });
    const task = await runtime.taskInfo(created.id);
    const limits = await kernelLimitsOf(task.pid!);
    assert.deepEqual(
      [limits.memory, limits.pids, limits.cpu],
      [String(LIMITS.memoryBytes), String(LIMITS.pids), "50000 100000"],
    );
    // The pids limit bites inside: 100 sleeps on top of the agent's threads fail instead of forking.
    const storm = await client.exec("for i in $(seq 1 100); do sleep 1 & done 2>&1; wait", { timeoutSeconds: 20 });
    assert.match(storm.stdout + storm.stderr, /fork|resource temporarily unavailable/i);
    await runtime.stopTask(created.id);
    for (const folder of limits.folders) await assert.rejects(access(folder), `${folder} goes with the task`);
  });
}
