// The FakeRuntime's view of its agents as plain host processes: is a pid
// still the process that was started (pids are reused), which processes
// descend from it, and how a whole tree is ended. Read from /proc: Linux only,
// and no privilege is needed to read or signal one's own processes.
import { readdir, readFile } from "node:fs/promises";

/** A process as /proc/<pid>/stat shows it: its parent and its start time (clock ticks since boot). */
interface ProcStat {
  startTicks: number;
  zombie: boolean;
}

async function procStat(pid: number): Promise<ProcStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { startTicks: Number(fields[19]), zombie: fields[0] === "Z" };
}

/** The start time that tells this process from a later one given the same pid. */
export async function startTicksOf(pid: number): Promise<number | undefined> {
  return (await procStat(pid))?.startTicks;
}

/** Whether `pid` is still the live process that started at `startTicks`. */
export async function isSameProcessAlive(pid: number, startTicks: number): Promise<boolean> {
  const stat = await procStat(pid);
  return stat !== undefined && !stat.zombie && stat.startTicks === startTicks;
}

/**
 * Every process below `root`, from each thread's children list. The agent
 * runs each command in its own process group, so a signal to the agent's
 * group would miss them; a process that daemonised (re-parented to init) is
 * out of reach, which a runtime with its own namespace or cgroup would not allow.
 */
export async function descendantsOf(root: number): Promise<number[]> {
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    const threads = await readdir(`/proc/${parent}/task`).catch(() => [] as string[]);
    for (const thread of threads) {
      const children = await readFile(`/proc/${parent}/task/${thread}/children`, "utf8").catch(() => "");
      for (const child of children.split(" ").filter(Boolean).map(Number)) {
        found.push(child);
        frontier.push(child);
      }
    }
  }
  return found;
}

/** Sends `signal` to each pid that still exists; a pid that is gone is no error. */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }
}
