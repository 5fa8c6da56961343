/**
 * What the kernel counts in a bot's cgroups: memory charged, tasks, OOM
 * kills. One reader for every backend: the sandbox names its own folders
 * (botbox/<id>), Docker and containerd put a container in a cgroup of their
 * choosing (systemd or cgroupfs driver, v1 or v2), which the task's
 * /proc/<pid>/cgroup names either way. GET /bots reads it for every running
 * bot, so it must be cheap: four small files cost about 0.25 ms here, where
 * Docker's stats API takes a second (it samples twice) and containerd's
 * Tasks.Metrics is a round trip to the shim (docs/runtimes.md has the figures).
 *
 * The files are read synchronously: the kernel makes them from memory on the
 * read, they never wait on a disk, and a direct read costs a fifth of one
 * through libuv's thread pool.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

const CGROUP_ROOT = "/sys/fs/cgroup";

/** The folders holding one bot's counters, and which cgroup version names their files. */
export interface CgroupFolders {
  version: "v1" | "v2";
  /** The memory controller's folder (on v2 the one folder of the cgroup). */
  memory?: string;
  /** The pids controller's folder. */
  pids?: string;
  /** v1 only: the cpuacct controller's folder (v2 counts CPU in the one folder). */
  cpuacct?: string;
}

/** The counters a running bot's cgroups give; each undefined where it cannot be read. */
export interface CgroupUsage {
  /** What the kernel charges the cgroup for memory: private pages plus the page cache it brought in. */
  memoryBytes?: number;
  /** Tasks (processes and threads) in the cgroup now: pids.current. */
  processes?: number;
  /** Processes the kernel killed at the cgroup's memory limit. */
  oomKills?: number;
  /** CPU time the cgroup's tasks used since it was made, in seconds (v2 cpu.stat usage_usec, v1 cpuacct.usage). */
  cpuSeconds?: number;
}

/**
 * The cgroup folders of a process, from /proc/<pid>/cgroup: on v1 (or
 * hybrid) the memory and pids controllers' own lines, on v2 the unified
 * line. Undefined when the process is gone.
 */
export function cgroupFoldersOf(pid: number, root = CGROUP_ROOT): CgroupFolders | undefined {
  const text = readText(`/proc/${pid}/cgroup`);
  if (text === undefined) return undefined;
  const v1 = (controller: string) =>
    new RegExp(`^\\d+:(?:[^:]*,)?${controller}(?:,[^:]*)?:(/.*)$`, "m").exec(text)?.[1];
  const memory = v1("memory");
  if (memory !== undefined) {
    const pids = v1("pids");
    const cpuacct = v1("cpuacct");
    return {
      version: "v1",
      memory: path.join(root, "memory", memory),
      ...(pids === undefined ? {} : { pids: path.join(root, "pids", pids) }),
      // Mounted alone or together with cpu ("cpu,cpuacct"): the folder is named as mounted.
      ...(cpuacct === undefined ? {} : { cpuacct: path.join(root, cpuacctMount(root), cpuacct) }),
    };
  }
  const unified = /^0::(\/.*)$/m.exec(text)?.[1];
  if (unified === undefined) return undefined;
  const folder = path.join(root, unified);
  return { version: "v2", memory: folder, pids: folder };
}

/** Reads the counters of the folders; a file that is missing or unreadable leaves its counter out. */
export function readCgroupUsage(folders: CgroupFolders): CgroupUsage {
  const v2 = folders.version === "v2";
  const memory = folders.memory;
  const memoryBytes =
    memory === undefined ? undefined : readNumber(path.join(memory, v2 ? "memory.current" : "memory.usage_in_bytes"));
  const processes = folders.pids === undefined ? undefined : readNumber(path.join(folders.pids, "pids.current"));
  const oomKills =
    memory === undefined ? undefined : readOomKills(path.join(memory, v2 ? "memory.events" : "memory.oom_control"));
  const cpuSeconds = v2
    ? readCpuStatSeconds(memory === undefined ? undefined : path.join(memory, "cpu.stat"))
    : readCpuacctSeconds(folders.cpuacct);
  return {
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    ...(processes === undefined ? {} : { processes }),
    ...(oomKills === undefined ? {} : { oomKills }),
    ...(cpuSeconds === undefined ? {} : { cpuSeconds }),
  };
}

/** The counters of the cgroup a process is in (its whole container); empty when the process is gone. */
export function cgroupUsageOf(pid: number): CgroupUsage {
  const folders = cgroupFoldersOf(pid);
  return folders ? readCgroupUsage(folders) : {};
}

/**
 * A running task's info with its cgroup's counters added (only those the
 * kernel gave). Under gVisor the kernel's task count is the sandbox's own
 * threads (the Sentry, the Gofer), not the bot's processes, which only
 * gVisor sees: left out rather than reported as the bot's.
 */
export async function withCgroupUsage<T extends { state: string; pid?: number }>(
  info: T,
  options: { gvisor?: boolean; read?: (pid: number) => CgroupUsage | Promise<CgroupUsage> } = {},
): Promise<T & CgroupUsage> {
  if (info.state !== "running" || !info.pid) return info;
  const { processes, ...rest } = await (options.read ?? cgroupUsageOf)(info.pid);
  return { ...info, ...rest, ...(processes === undefined || options.gvisor ? {} : { processes }) };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined; // Gone with its process or cgroup, or not counted here.
  }
}

function readNumber(file: string): number | undefined {
  const text = readText(file);
  const value = text === undefined ? NaN : Number(text.trim());
  return Number.isFinite(value) ? value : undefined;
}

function readOomKills(file: string): number | undefined {
  const text = readText(file);
  const match = text === undefined ? null : /^oom_kill (\d+)$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** v2: `usage_usec` of cpu.stat, which the kernel keeps whether or not the cpu controller is enabled. */
function readCpuStatSeconds(file: string | undefined): number | undefined {
  const text = file === undefined ? undefined : readText(file);
  const match = text === undefined ? null : /^usage_usec (\d+)$/m.exec(text);
  return match ? Number(match[1]) / 1e6 : undefined;
}

/** v1: cpuacct.usage, in nanoseconds. */
function readCpuacctSeconds(folder: string | undefined): number | undefined {
  const nanoseconds = folder === undefined ? undefined : readNumber(path.join(folder, "cpuacct.usage"));
  return nanoseconds === undefined ? undefined : nanoseconds / 1e9;
}

/** The name cpuacct is mounted under in a v1 root: `cpuacct`, or `cpu,cpuacct` where the two share a tree. */
function cpuacctMount(root: string): string {
  for (const name of ["cpuacct", "cpu,cpuacct", "cpuacct,cpu"]) {
    if (readText(path.join(root, name, "cpuacct.usage")) !== undefined) return name;
  }
  return "cpuacct";
}
