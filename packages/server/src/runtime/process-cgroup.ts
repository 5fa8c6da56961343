/**
 * The kernel's own count of OOM kills in a running task's memory cgroup,
 * found from the task's pid. Docker and containerd put a container in a
 * cgroup of their choosing (systemd or cgroupfs driver, v1 or v2): the
 * process's own /proc entry names it either way.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

const CGROUP_ROOT = "/sys/fs/cgroup";

/**
 * The memory cgroup folder of a process and the file holding its OOM kill
 * count: `memory.events` on cgroup v2, `memory.oom_control` under a v1 (or
 * hybrid) memory controller. Undefined when the process is gone.
 */
export async function memoryCgroupOf(pid: number): Promise<{ folder: string; eventsFile: string } | undefined> {
  const text = await readFile(`/proc/${pid}/cgroup`, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const v1 = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(\/.*)$/m.exec(text);
  if (v1) return { folder: path.join(CGROUP_ROOT, "memory", v1[1]!), eventsFile: "memory.oom_control" };
  const unified = /^0::(\/.*)$/m.exec(text);
  return unified ? { folder: path.join(CGROUP_ROOT, unified[1]!), eventsFile: "memory.events" } : undefined;
}

/** `oom_kill` of the process's memory cgroup (its whole container); undefined when unknown. */
export async function oomKillsOfProcess(pid: number): Promise<number | undefined> {
  const cgroup = await memoryCgroupOf(pid);
  if (cgroup === undefined) return undefined;
  const events = await readFile(path.join(cgroup.folder, cgroup.eventsFile), "utf8").catch(() => undefined);
  const match = events === undefined ? null : /^oom_kill (\d+)$/m.exec(events);
  return match ? Number(match[1]) : undefined;
}

/** The task's info with its OOM kill count added when it runs and the count can be read. */
export async function withOomKills<T extends { state: string; pid?: number }>(
  info: T,
): Promise<T & { oomKills?: number }> {
  if (info.state !== "running" || !info.pid) return info;
  const oomKills = await oomKillsOfProcess(info.pid);
  return oomKills === undefined ? info : { ...info, oomKills };
}
