/**
 * Per-bot resource limits through cgroups. v2 (one unified tree): one folder
 * `botbox/<id>` with memory.max, pids.max and cpu.max. v1 or hybrid (a tree
 * per controller): `<controller>/botbox/<id>` in memory, pids and cpu. The
 * sandbox's init is moved in before it starts the agent (see task-launcher),
 * so every process of the bot is counted.
 */
import { access, mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { BadRequestError } from "../../errors.js";
import { type CgroupUsage, readCgroupUsage } from "../cgroup-usage.js";
import type { ResourceLimits } from "../runtime.js";
import { isErrno } from "./json-file.js";

export type CgroupMode = "v2" | "v1" | "none";

const CPU_PERIOD_US = 100_000;
const V1_CONTROLLERS = ["memory", "pids", "cpu"] as const;

export interface CgroupSupport {
  mode: CgroupMode;
  /** Why limits cannot be applied, when mode is "none". */
  reason?: string;
}

export async function detectCgroups(root = "/sys/fs/cgroup"): Promise<CgroupSupport> {
  if (process.getuid?.() !== 0) return { mode: "none", reason: "the server does not run as root" };
  if (await exists(path.join(root, "cgroup.controllers"))) {
    const controllers = (await readFile(path.join(root, "cgroup.controllers"), "utf8")).split(/\s+/);
    const missing = ["memory", "pids", "cpu"].filter((name) => !controllers.includes(name));
    return missing.length === 0
      ? { mode: "v2" }
      : { mode: "none", reason: `cgroup v2 lacks the ${missing.join(", ")} controller(s)` };
  }
  for (const controller of V1_CONTROLLERS) {
    if (!(await exists(path.join(root, controller, "cgroup.procs"))))
      return { mode: "none", reason: `no cgroup v1 ${controller} hierarchy at ${root}/${controller}` };
  }
  return { mode: "v1" };
}

/** The cgroup folders of one bot; each receives the pid in `attach`. */
export class BotCgroup {
  constructor(
    readonly folders: string[],
    private readonly mode: CgroupMode,
  ) {}

  static for(support: CgroupSupport, containerId: string, root = "/sys/fs/cgroup"): BotCgroup {
    if (support.mode === "v2") return new BotCgroup([path.join(root, "botbox", containerId)], "v2");
    if (support.mode === "v1")
      return new BotCgroup(
        V1_CONTROLLERS.map((controller) => path.join(root, controller, "botbox", containerId)),
        "v1",
      );
    return new BotCgroup([], "none");
  }

  async create(limits: ResourceLimits): Promise<void> {
    if (this.mode === "v2") {
      // Controllers must be enabled on every ancestor for a leaf to use them.
      const parent = path.dirname(this.folders[0]!);
      await mkdir(parent, { recursive: true });
      await writeFile(path.join(path.dirname(parent), "cgroup.subtree_control"), "+memory +pids +cpu");
      await writeFile(path.join(parent, "cgroup.subtree_control"), "+memory +pids +cpu");
    }
    for (const folder of this.folders) await mkdir(folder, { recursive: true });
    for (const [file, value] of this.settings(limits)) await writeFile(file, value);
  }

  async attach(pid: number): Promise<void> {
    for (const folder of this.folders) await writeFile(path.join(folder, "cgroup.procs"), String(pid));
  }

  /**
   * What the kernel counts for the bot now (cgroup-usage.ts): the memory it
   * charges it (private pages plus the page cache the bot brought in first;
   * shared pages another process read first, such as node's own, are not
   * counted again), its tasks, its OOM kills. Empty without cgroups.
   */
  usage(): CgroupUsage {
    if (this.mode === "none") return {};
    const [first, pids, cpu] = this.folders;
    if (this.mode === "v2") return readCgroupUsage({ version: "v2", memory: first!, pids: first! });
    // cpuacct counts CPU time on v1; where it shares a tree with cpu ("cpu,cpuacct"), the cpu folder has it.
    return readCgroupUsage({ version: "v1", memory: first!, pids: pids!, cpuacct: cpu! });
  }

  /** The memory part of `usage`, as the density benchmark reads it. */
  memoryUsageBytes(): number | undefined {
    return this.usage().memoryBytes;
  }

  /** Removes the folders; a folder still holding processes stays (EBUSY). */
  async remove(): Promise<void> {
    for (const folder of this.folders) {
      try {
        await rmdir(folder);
      } catch (error) {
        if (!isErrno(error, "ENOENT") && !isErrno(error, "EBUSY")) throw error;
      }
    }
  }

  private settings(limits: ResourceLimits): [string, string][] {
    const [first, pids, cpu] = this.folders;
    const quota = limits.cpus === undefined ? undefined : Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US));
    if (this.mode === "v2") {
      return [
        [path.join(first!, "memory.max"), limits.memoryBytes === undefined ? "max" : String(limits.memoryBytes)],
        [path.join(first!, "pids.max"), limits.pids === undefined ? "max" : String(limits.pids)],
        [path.join(first!, "cpu.max"), `${quota ?? "max"} ${CPU_PERIOD_US}`],
      ];
    }
    if (this.mode === "v1") {
      return [
        [
          path.join(first!, "memory.limit_in_bytes"),
          limits.memoryBytes === undefined ? "-1" : String(limits.memoryBytes),
        ],
        [path.join(pids!, "pids.max"), limits.pids === undefined ? "max" : String(limits.pids)],
        [path.join(cpu!, "cpu.cfs_period_us"), String(CPU_PERIOD_US)],
        [path.join(cpu!, "cpu.cfs_quota_us"), String(quota ?? -1)],
      ];
    }
    return [];
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * The sandbox's use of cgroups for its bots: whether they can be made here
 * (looked at once), a spec's limits refused where they cannot, each task's
 * cgroups made with its limits, read and removed.
 */
export class SandboxCgroups {
  private support?: Promise<CgroupSupport>;

  detect(): Promise<CgroupSupport> {
    this.support ??= detectCgroups();
    return this.support;
  }

  /** A spec's memory, pids and cpus limits where this sandbox cannot make the cgroups to hold them: refused. */
  async refuseUnenforceable(limits: ResourceLimits): Promise<void> {
    const { memoryBytes, pids, cpus } = limits;
    const asked = Object.entries({ memoryBytes, pids, cpus }).filter(([, value]) => value !== undefined);
    const support = await this.detect();
    if (asked.length === 0 || support.mode !== "none") return;
    const names = asked.map(([name]) => `limits.${name}`).join(", ");
    throw new BadRequestError(`${names}: this sandbox cannot enforce them: ${support.reason}`);
  }

  /** The bot's cgroups, made with its limits; undefined (after `warn`) where that cannot be done. */
  async create(
    containerId: string,
    limits: ResourceLimits,
    warn: (message: string) => Promise<void>,
  ): Promise<BotCgroup | undefined> {
    const support = await this.detect();
    if (support.mode === "none") {
      if (Object.values(limits).some((value) => value !== undefined))
        await warn(`resource limits not applied: ${support.reason}`);
      return undefined;
    }
    const cgroup = BotCgroup.for(support, containerId);
    try {
      await cgroup.create(limits);
      return cgroup;
    } catch (error) {
      await warn(`resource limits not applied: ${(error as Error).message}`);
      return undefined;
    }
  }

  async of(containerId: string): Promise<BotCgroup> {
    return BotCgroup.for(await this.detect(), containerId);
  }
}
