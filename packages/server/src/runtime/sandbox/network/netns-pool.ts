/**
 * A small pool of network namespaces made ahead for isolated bots (issue 13
 * §8, docs/runtimes.md "The sandbox's isolated network").
 *
 * Making a bot's network takes processes: a new namespace, nft for its rules
 * and slirp4netns until its tap is up, 40 ms or more that a cold start would
 * otherwise wait for. The pool does that work between starts. Each entry is
 * a namespace the host made (`unshare --net`, so it belongs to the host's
 * user namespace), held by a `sleep` inside it, with the default rule set
 * loaded and slirp4netns attached.
 *
 * An entry is single use. A start takes it out of the pool, runs the bot's
 * bwrap in it (`nsenter --net`), and once the sandbox's init is in, the
 * holder is killed and the record removed: the namespace now lives only as
 * long as the bot's processes, its slirp4netns is the bot's and ends with
 * the task. Nothing ever goes back into the pool, so no bot gets a namespace
 * or a slirp4netns another bot used.
 *
 * Each entry is recorded in `<dir>/<id>.json` with the server process that
 * made it: a closing runtime ends its own entries, and a runtime that opens
 * ends those whose server is gone (a crash), so nothing leaks across restarts.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readdir, readlink, rename, rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { UnavailableError } from "../../../errors.js";
import { readJsonFile, writeJsonFile } from "../json-file.js";
import { processStartTime } from "../task-record.js";
import type { NetworkTool } from "./host-tools.js";
import { loadRules, yieldCpu } from "./nft.js";
import { type HelperProcess, startSlirp, stopHelper } from "./slirp.js";

export interface PooledNamespace {
  id: string;
  /** `sleep` inside the namespace: it holds the namespace until a bot's sandbox has joined. */
  holder: HelperProcess;
  slirp: HelperProcess;
  /** The rule set loaded; a bot whose own differs gets it replaced when it starts. */
  ruleset: string;
}

/** What `<dir>/<id>.json` holds; `slirp` is absent while the entry is being made. */
interface PoolRecord {
  id: string;
  /** The server process that made the entry: when it is gone, so is the entry's purpose. */
  owner: HelperProcess;
  holder: HelperProcess;
  slirp?: HelperProcess;
}

export interface NetnsPoolOptions {
  tools: Record<NetworkTool, string>;
  /** Where the entries' records and slirp4netns logs are kept, e.g. `<home>/netpool`. */
  dir: string;
  /** How many entries to keep ready; 0 turns the pool off. */
  size: number;
  /** The rule set new entries get: the default policy against the host's addresses now. */
  ruleset: () => string;
  warn: (message: string) => void;
}

const HOLDER_TIMEOUT_MS = 5_000;
/** A start, agent included, is over within this on an idle machine. */
const REFILL_DELAY_MS = 1_000;
/** After a failed fill, starts take the slow path for this long before the pool tries again. */
const RETRY_AFTER_FAILURE_MS = 30_000;

export class NetnsPool {
  private readonly ready: PooledNamespace[] = [];
  private filling?: Promise<void>;
  private refillTimer?: NodeJS.Timeout;
  private failedAt = -Infinity;
  private closed = false;
  private owner?: Promise<HelperProcess>;

  constructor(private readonly options: NetnsPoolOptions) {}

  /** The namespace of an entry, as a path nsenter and slirp4netns take. */
  static netnsPath(entry: PooledNamespace): string {
    return `/proc/${entry.holder.pid}/ns/net`;
  }

  /**
   * A ready entry, now out of the pool, or undefined when the pool is off or
   * empty; either way the pool refills in the background.
   */
  async take(): Promise<PooledNamespace | undefined> {
    let taken: PooledNamespace | undefined;
    while (!taken && this.ready.length > 0) {
      // Out of the list before any await, so two starts never get the same one.
      const entry = this.ready.shift()!;
      const running = await Promise.all([isRunning(entry.holder), isRunning(entry.slirp)]);
      if (running.every(Boolean)) taken = entry;
      else await destroyEntry(this.options.dir, entry);
    }
    if (!taken) this.refillLater();
    return taken;
  }

  /**
   * The bot's sandbox is in the namespace: the holder ends, the record goes,
   * and the slirp4netns log moves to `slirpLog`. The slirp4netns is the bot's now.
   */
  async handOver(entry: PooledNamespace, slirpLog: string): Promise<void> {
    unowned.delete(entry.slirp);
    await stopHelper(entry.holder);
    // The bot's now: back to the ordinary priority it would have had if started for it.
    yieldCpu(entry.slirp.pid, 0);
    await rename(logPath(this.options.dir, entry.id), slirpLog).catch(() => undefined);
    await rm(recordPath(this.options.dir, entry.id), { force: true });
    this.refillLater();
  }

  /** An entry that was taken and not handed over (the start failed): ended whole. */
  async discard(entry: PooledNamespace): Promise<void> {
    await destroyEntry(this.options.dir, entry);
    this.refillLater();
  }

  /** Starts filling up to the pool's size, one entry at a time, unless it is already doing so. */
  refill(): void {
    if (this.closed || this.options.size <= 0 || this.filling) return;
    if (performance.now() - this.failedAt < RETRY_AFTER_FAILURE_MS) return;
    this.filling = this.fill().finally(() => (this.filling = undefined));
  }

  /**
   * Refills once the start that used the pool is over: spawning from the
   * server blocks its event loop for a fork each (milliseconds, more under
   * load), which would otherwise land on the start it follows.
   */
  private refillLater(): void {
    if (this.closed || this.refillTimer) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.refill();
    }, REFILL_DELAY_MS).unref();
  }

  /** How many entries are ready now (for tests and the bench). */
  get readyCount(): number {
    return this.ready.length;
  }

  /** Ends every entry this pool holds; entries already handed over belong to their bots. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refillTimer);
    await this.filling;
    await Promise.all(this.ready.splice(0).map((entry) => destroyEntry(this.options.dir, entry)));
  }

  /** Ends the entries whose server process is gone (a crash left them); a live server's stay. */
  static async sweep(dir: string): Promise<number> {
    const names = await readdir(dir).catch(() => [] as string[]);
    let swept = 0;
    for (const name of names.filter((entry) => entry.endsWith(".json"))) {
      const record = await readJsonFile<PoolRecord>(path.join(dir, name)).catch(() => undefined);
      if (record?.owner && (await isRunning(record.owner))) continue;
      // The id from the file's name, never from its content.
      await destroyEntry(dir, { ...record, id: name.slice(0, -".json".length) });
      swept++;
    }
    return swept;
  }

  private async fill(): Promise<void> {
    while (!this.closed && this.ready.length < this.options.size) {
      try {
        const entry = await this.make();
        if (this.closed) return await destroyEntry(this.options.dir, entry);
        this.ready.push(entry);
      } catch (error) {
        this.failedAt = performance.now();
        this.options.warn(
          `network namespace pool: ${(error as Error).message}; isolated bots start without it for ${RETRY_AFTER_FAILURE_MS / 1000} s`,
        );
        return;
      }
    }
  }

  private async make(): Promise<PooledNamespace> {
    const { tools, dir } = this.options;
    this.owner ??= ownProcess();
    const owner = await this.owner;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const id = randomBytes(8).toString("hex");
    const holder = await startHolder(tools);
    let slirp: HelperProcess | undefined;
    trackUntilExit(holder);
    try {
      await writeJsonFile(recordPath(dir, id), { id, owner, holder } satisfies PoolRecord);
      const netns = `/proc/${holder.pid}/ns/net`;
      // Rules first, then the link out: nothing runs in the namespace yet, so no hurry.
      const ruleset = this.options.ruleset();
      await loadRules(tools, netns, ruleset, { background: true });
      slirp = await startSlirp(tools, netns, logPath(dir, id), { background: true });
      trackUntilExit(slirp);
      await writeJsonFile(recordPath(dir, id), { id, owner, holder, slirp } satisfies PoolRecord);
      return { id, holder, slirp, ruleset };
    } catch (error) {
      await destroyEntry(dir, { id, holder, ...(slirp ? { slirp } : {}) });
      throw error;
    }
  }
}

/**
 * `unshare --net setpriv --pdeathsig KILL sleep infinity`: each execs the
 * next, so the pid is the holder's, and it dies with the server (a pooled
 * namespace must not outlive it); it is ready once its namespace is no
 * longer ours. Not detached: a signal to the server's process group ends it too.
 */
async function startHolder(tools: { unshare: string; setpriv: string; sleep: string }): Promise<HelperProcess> {
  const own = await readlink("/proc/self/ns/net");
  const child = spawn(
    tools.unshare,
    ["--net", "--", tools.setpriv, "--pdeathsig", "KILL", "--", tools.sleep, "infinity"],
    { stdio: "ignore" },
  );
  child.unref();
  let failure: Error | undefined;
  child.once("error", (error) => (failure = error));
  const deadline = performance.now() + HOLDER_TIMEOUT_MS;
  for (;;) {
    if (failure) throw new UnavailableError(`cannot run ${tools.unshare}: ${failure.message}`, { cause: failure });
    const pid = child.pid;
    if (pid !== undefined) {
      const netns = await readlink(`/proc/${pid}/ns/net`).catch(() => undefined);
      if (netns !== undefined && netns !== own) {
        const startTime = await processStartTime(pid);
        if (startTime !== undefined) return { pid, startTime };
      }
    }
    if (child.exitCode !== null || child.signalCode !== null)
      throw new UnavailableError(
        `unshare --net ended with ${child.exitCode ?? child.signalCode} before its namespace held`,
      );
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new UnavailableError(`unshare --net made no namespace within ${HOLDER_TIMEOUT_MS} ms`);
    }
    await sleep(2);
  }
}

async function destroyEntry(dir: string, entry: { id: string; holder?: HelperProcess; slirp?: HelperProcess }) {
  if (entry.slirp) unowned.delete(entry.slirp);
  if (entry.holder) unowned.delete(entry.holder);
  await stopHelper(entry.slirp);
  await stopHelper(entry.holder);
  await rm(recordPath(dir, entry.id), { force: true });
  await rm(logPath(dir, entry.id), { force: true });
}

async function isRunning(helper: HelperProcess): Promise<boolean> {
  return (await processStartTime(helper.pid)) === helper.startTime;
}

async function ownProcess(): Promise<HelperProcess> {
  const startTime = await processStartTime(process.pid);
  if (startTime === undefined) throw new UnavailableError("cannot read this server's own start time from /proc");
  return { pid: process.pid, startTime };
}

function recordPath(dir: string, id: string): string {
  return path.join(dir, `${id}.json`);
}

function logPath(dir: string, id: string): string {
  return path.join(dir, `${id}.log`);
}

/**
 * Pool processes no bot has taken, ended when this process exits, also when
 * it exits without closing its runtime (a test, an error): a pooled entry
 * never outlives the server that made it. A crash (SIGKILL) leaves them to
 * the next runtime's sweep; the holder's parent-death signal ends the
 * namespace itself at once.
 */
const unowned = new Set<HelperProcess>();

function trackUntilExit(helper: HelperProcess): void {
  if (unowned.size === 0 && !exitHooked) {
    exitHooked = true;
    process.once("exit", () => {
      for (const helper of unowned) killIfStill(helper);
    });
  }
  unowned.add(helper);
}

let exitHooked = false;

/** Synchronous (an exit handler cannot wait): SIGKILL when the pid still has its recorded start time. */
function killIfStill(helper: HelperProcess): void {
  try {
    const stat = readFileSync(`/proc/${helper.pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[22 - 3] !== helper.startTime) return;
    process.kill(helper.pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}
