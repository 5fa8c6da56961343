/**
 * The limits the kernel holds for a process, read from the cgroups its own
 * /proc entry names: whatever the backend chose (a folder of botbox's own,
 * Docker's, containerd's; cgroup v2, or v1 with a tree per controller).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";

const CGROUP_ROOT = "/sys/fs/cgroup";

export interface KernelLimits {
  /** memory.max or memory.limit_in_bytes. */
  memory: string;
  /** pids.max. */
  pids: string;
  /** "<quota> <period>" in microseconds: cpu.max, or cpu.cfs_quota_us and cpu.cfs_period_us. */
  cpu: string;
  /** The cgroup folders read (one on v2, one per controller on v1). */
  folders: string[];
}

/** The memory, pids and cpu limits of `pid`'s cgroups. */
export async function kernelLimitsOf(pid: number): Promise<KernelLimits> {
  const text = await readFile(`/proc/${pid}/cgroup`, "utf8");
  const read = async (folder: string, file: string) => (await readFile(path.join(folder, file), "utf8")).trim();
  if (existsSync(path.join(CGROUP_ROOT, "cgroup.controllers"))) {
    const folder = path.join(CGROUP_ROOT, /^0::(\/.*)$/m.exec(text)![1]!);
    return {
      memory: await read(folder, "memory.max"),
      pids: await read(folder, "pids.max"),
      cpu: await read(folder, "cpu.max"),
      folders: [folder],
    };
  }
  const folderOf = (controller: string) => {
    const line = new RegExp(`^\\d+:(?:[^:]*,)?${controller}(?:,[^:]*)?:(/.*)$`, "m").exec(text);
    if (!line) throw new Error(`process ${pid} is in no ${controller} cgroup: ${text}`);
    return path.join(CGROUP_ROOT, controller, line[1]!);
  };
  const [memory, pids, cpu] = ["memory", "pids", "cpu"].map(folderOf) as [string, string, string];
  return {
    memory: await read(memory, "memory.limit_in_bytes"),
    pids: await read(pids, "pids.max"),
    cpu: `${await read(cpu, "cpu.cfs_quota_us")} ${await read(cpu, "cpu.cfs_period_us")}`,
    folders: [memory, pids, cpu],
  };
}
