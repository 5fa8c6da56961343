/**
 * FakeRuntime: the runtime contract with no isolation at all, for tests that
 * must run without root, daemons or network. Each bot's agent is the REAL
 * agent (packages/agent/dist/agent.js) run by node as a plain host process,
 * listening on a Unix socket; /data is a folder per bot and snapshots are
 * folder copies (cp -a, reflinks where the file system has them).
 *
 * It lives with the tests, not in the server's backend registry, on purpose:
 * a runtime that confines nothing must not be one configuration key away
 * from a production server.
 *
 * What it cannot do it refuses (BadRequestError), never pretends:
 * - network "none" and "isolated" (no network namespace: only "host");
 * - isolation "gvisor", and every limit (no cgroup, no quota);
 * - bots see the host's file system as the user running the tests: images
 *   are recorded (ref and digest), not unpacked; /data is given to the agent
 *   as its data folder (BOTBOX_DATA_DIR), so paths relative to it work, and
 *   an absolute "/data/..." is the host's own /data.
 * `capabilities.confined` is false, which the runtime contract reads.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { open, readdir, readFile, rm, stat } from "node:fs/promises";
import { constants } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import type { AgentEndpoint } from "../../packages/server/src/client/index.js";
import { BadRequestError, ConflictError, NotFoundError } from "../../packages/server/src/errors.js";
import { checkContainerIds, checkContainerSpec } from "../../packages/server/src/runtime/container-spec.js";
import {
  BOT_LABEL,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSettings,
  type ContainerSpec,
  type DoctorCheck,
  type RuntimeCapabilities,
  type SnapshotInfo,
  type StopOptions,
  type TaskInfo,
} from "../../packages/server/src/runtime/runtime.js";
import { agentCodeCache, agentLoaderOf } from "./agent-code-cache.js";
import { AGENT_BUNDLE } from "./agent-process.js";
import { FakeRuntimeImages } from "./fake-runtime-images.js";
import { descendantsOf, isSameProcessAlive, signalAll, startTicksOf } from "./fake-runtime-process.js";
import {
  checkSnapshotName,
  FakeRuntimeState,
  infoOf,
  SNAPSHOT_NAME,
  snapshotInfoOf,
  type StoredContainer,
  type StoredExit,
  type StoredSnapshot,
} from "./fake-runtime-state.js";

/** The image every fake bot runs: the host itself and the agent bundle. */
export const FAKE_IMAGE = "botbox/default";
const TEMPLATES = path.join(path.dirname(AGENT_BUNDLE), "..", "templates");

export interface FakeRuntimeOptions {
  /** A folder of the runtime's own; short, for the agents' socket paths. */
  home: string;
  agentBundle?: string;
}

export class FakeRuntime implements ContainerRuntime {
  readonly name = "fake";
  readonly capabilities: RuntimeCapabilities = {
    diskQuota: false,
    isolatedNetwork: false,
    gvisor: false,
    resourceLimits: false,
    confined: false,
  };
  private readonly state: FakeRuntimeState;
  private readonly images: FakeRuntimeImages;
  private readonly agentBundle: string;
  /** Agents this instance started: their exit is an event, not something to poll for. */
  private readonly children = new Map<number, ChildProcess>();
  /** Per container id, the write of its last exit (taskInfo waits for it, not for a guess of its timing). */
  private readonly exitWrites = new Map<string, Promise<void>>();

  constructor(options: FakeRuntimeOptions) {
    this.state = new FakeRuntimeState(path.resolve(options.home));
    this.agentBundle = options.agentBundle ?? AGENT_BUNDLE;
    this.images = new FakeRuntimeImages(this.state, FAKE_IMAGE, this.agentBundle);
  }

  async doctor(): Promise<DoctorCheck[]> {
    const bundle = await stat(this.agentBundle).catch(() => undefined);
    return [
      {
        name: "agent bundle",
        ok: Boolean(bundle?.isFile()),
        detail: bundle ? this.agentBundle : `${this.agentBundle} is missing: run npm run build`,
      },
      {
        name: "confinement",
        ok: false,
        detail: "none: bots are plain host processes (no namespaces, limits or network rules); for tests only",
      },
    ];
  }

  ensureImage = (ref: string) => this.images.ensure(ref);
  listImages = () => this.images.list();
  importImage = (ref: string, tarPath: string) => this.images.import(ref, tarPath);
  deleteImage = (ref: string) => this.images.delete(ref);

  async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    checkContainerIds(spec.id, spec.botId, this.state.socketPath(spec.id));
    checkContainerSpec(spec);
    this.refuseUnenforced(spec);
    if (await this.stored(spec.id)) throw new ConflictError(`container ${spec.id} already exists`);
    await this.images.ensure(spec.image);
    const data = this.state.dataFolder(spec.botId);
    if (spec.fromSnapshot !== undefined) {
      const snapshot = this.state.snapshotFolder(spec.botId, spec.fromSnapshot);
      if (!(await this.state.readJson(path.join(snapshot, "snapshot.json"))))
        throw new NotFoundError(`snapshot ${spec.fromSnapshot} of bot ${spec.botId} not found`);
      await this.state.replaceWithCopy(path.join(snapshot, "data"), data);
    }
    await this.state.writeJson(path.join(data, "..", "bot.json"), { botId: spec.botId });
    const stored: StoredContainer = {
      id: spec.id,
      botId: spec.botId,
      image: spec.image,
      labels: { ...spec.labels, [BOT_LABEL]: spec.botId },
      network: spec.network,
      limits: {},
      createdAt: new Date().toISOString(),
      ...(spec.fromSnapshot !== undefined ? { parentSnapshot: spec.fromSnapshot } : {}),
      agentToken: spec.agentToken,
      env: { ...spec.env },
    };
    await this.state.writeJson(this.state.containerFile(spec.id), stored);
    return infoOf(stored);
  }

  async getContainer(id: string): Promise<ContainerInfo | undefined> {
    const stored = await this.stored(id);
    return stored && infoOf(stored);
  }

  async listContainers(labels: Record<string, string> = {}): Promise<ContainerInfo[]> {
    const names = await readdir(path.join(this.state.home, "containers")).catch(() => [] as string[]);
    const found: ContainerInfo[] = [];
    for (const name of names.filter((each) => each.endsWith(".json") && !each.endsWith(".exit.json"))) {
      const stored = await this.stored(name.slice(0, -".json".length));
      if (!stored) continue;
      const matches = Object.entries(labels).every(
        ([key, value]) => key in stored.labels && (value === "" || stored.labels[key] === value),
      );
      if (matches) found.push(infoOf(stored));
    }
    return found;
  }

  async deleteContainer(id: string, options: { keepData?: boolean } = {}): Promise<void> {
    const stored = await this.require(id);
    if ((await this.taskInfo(id)).state === "running") throw new ConflictError(`container ${id} is running`);
    await rm(this.state.containerFile(id), { force: true });
    await rm(this.state.exitFile(id), { force: true });
    if (!options.keepData) await rm(this.state.botFolder(stored.botId), { recursive: true, force: true });
  }

  async updateContainer(id: string, changes: ContainerSettings): Promise<ContainerInfo> {
    const stored = await this.require(id);
    if ((await this.taskInfo(id)).state === "running")
      throw new ConflictError(`container ${id} is running: stop it before changing its settings`);
    const changed = { ...stored, network: changes.network };
    checkContainerSpec({ ...changed, ...changes, limits: changes.limits });
    this.refuseUnenforced({ ...changes });
    await this.state.writeJson(this.state.containerFile(id), changed);
    return infoOf(changed);
  }

  async discardKeptData(botId: string): Promise<void> {
    if ((await this.listContainers()).some((container) => container.botId === botId))
      throw new ConflictError(`bot ${botId} still has a container`);
    await rm(this.state.botFolder(botId), { recursive: true, force: true });
  }

  async startTask(id: string): Promise<TaskInfo> {
    const stored = await this.require(id);
    if ((await this.taskInfo(id)).state === "running") throw new ConflictError(`the task of ${id} is already running`);
    const socketPath = this.state.socketPath(id);
    await rm(socketPath, { force: true });
    // The last run's exit code is not this run's.
    await this.exitWrites.get(id);
    this.exitWrites.delete(id);
    await rm(this.state.exitFile(id), { force: true });
    await this.state.writeJson(path.join(socketPath, "..", ".keep"), {});
    const log = await open(this.state.logFile(id), "a");
    // The real bundle starts through its loader with the code cache, as on the sandbox; another bundle (a test's broken one) as it is.
    const codeCache = this.agentBundle === AGENT_BUNDLE ? await agentCodeCache(AGENT_BUNDLE) : undefined;
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [codeCache ? agentLoaderOf(AGENT_BUNDLE) : this.agentBundle], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TZ: process.env.TZ,
          ...(codeCache ? { BOTBOX_AGENT_CODE_CACHE: codeCache } : {}),
          ...stored.env,
          MCP_LISTEN_ADDR: `unix:${socketPath}`,
          BOTBOX_DATA_DIR: this.state.dataFolder(stored.botId),
          BOTBOX_TEMPLATE_DIR: TEMPLATES,
          BOTBOX_BOT_ID: stored.botId,
          BOTBOX_AGENT_TOKEN: stored.agentToken,
        },
        stdio: ["ignore", log.fd, log.fd],
      });
      await once(child, "spawn");
    } finally {
      await log.close();
    }
    const pid = child.pid!;
    this.children.set(pid, child);
    child.unref();
    child.once("exit", (code, signal) => {
      this.children.delete(pid);
      const exit: StoredExit = { pid, exitCode: code ?? (signal ? 128 + constants.signals[signal] : undefined) };
      this.exitWrites.set(
        id,
        this.state.writeJson(this.state.exitFile(id), exit).catch(() => undefined),
      );
    });
    const startTicks = (await startTicksOf(pid)) ?? -1;
    const startedAt = new Date();
    await this.state.writeJson(this.state.containerFile(id), {
      ...stored,
      everStarted: true,
      task: { pid, startTicks, startedAt: startedAt.toISOString() },
    } satisfies StoredContainer);
    return { state: "running", pid, startedAt };
  }

  async stopTask(id: string, options: StopOptions = {}): Promise<TaskInfo> {
    const stored = await this.require(id);
    const task = stored.task;
    if (task && (await isSameProcessAlive(task.pid, task.startTicks))) {
      // Found before the signal: once the agent is gone its children are re-parented.
      const tree = await descendantsOf(task.pid);
      signalAll([task.pid], options.signal ?? "SIGTERM");
      const exited = await this.waitForExit(task.pid, task.startTicks, options.timeoutMs ?? 10_000);
      if (!exited && options.force === false)
        throw new ConflictError(`the task of ${id} did not stop within ${options.timeoutMs ?? 10_000} ms`);
      signalAll([task.pid, ...tree], "SIGKILL");
      await this.waitForExit(task.pid, task.startTicks, 5_000);
    }
    if (task) {
      const { task: _ended, ...rest } = stored;
      await this.state.writeJson(this.state.containerFile(id), rest);
    }
    await rm(this.state.socketPath(id), { force: true });
    return this.taskInfo(id);
  }

  async taskInfo(id: string): Promise<TaskInfo> {
    const stored = await this.require(id);
    const task = stored.task;
    if (task && (await isSameProcessAlive(task.pid, task.startTicks)))
      return { state: "running", pid: task.pid, startedAt: new Date(task.startedAt) };
    if (!stored.everStarted) return { state: "missing" };
    // One of ours that /proc already shows dead: its exit event, and the write of its code, are moments away.
    if (task && this.children.has(task.pid)) await this.waitForExit(task.pid, task.startTicks, 5_000);
    await this.exitWrites.get(id);
    const exit = await this.state.readJson<StoredExit>(this.state.exitFile(id));
    return { state: "stopped", ...(exit?.exitCode !== undefined ? { exitCode: exit.exitCode } : {}) };
  }

  async agentEndpoint(id: string): Promise<AgentEndpoint | undefined> {
    const stored = await this.stored(id);
    if (!stored?.task || (await this.taskInfo(id)).state !== "running") return undefined;
    return { address: `unix:${this.state.socketPath(id)}`, token: stored.agentToken };
  }

  async commitSnapshot(id: string, name: string): Promise<SnapshotInfo> {
    const stored = await this.requireStopped(id);
    checkSnapshotName(name);
    const folder = this.state.snapshotFolder(stored.botId, name);
    if (await this.readSnapshot(stored.botId, name)) throw new ConflictError(`snapshot ${name} already exists`);
    await this.state.replaceWithCopy(this.state.dataFolder(stored.botId), path.join(folder, "data"));
    const snapshot: StoredSnapshot = {
      name,
      ...(stored.parentSnapshot ? { parent: stored.parentSnapshot } : {}),
      createdAt: new Date().toISOString(),
    };
    await this.state.writeJson(path.join(folder, "snapshot.json"), snapshot);
    await this.state.writeJson(this.state.containerFile(id), { ...stored, parentSnapshot: name });
    return snapshotInfoOf(snapshot);
  }

  async listSnapshots(id: string): Promise<SnapshotInfo[]> {
    const stored = await this.require(id);
    const names = await readdir(path.join(this.state.botFolder(stored.botId), "snapshots")).catch(() => []);
    const found: SnapshotInfo[] = [];
    for (const name of names) {
      const snapshot = await this.readSnapshot(stored.botId, name);
      if (snapshot) found.push(snapshotInfoOf(snapshot));
    }
    return found.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async restoreSnapshot(id: string, name: string): Promise<void> {
    const stored = await this.requireStopped(id);
    if (!(await this.readSnapshot(stored.botId, name))) throw new NotFoundError(`snapshot ${name} not found`);
    const source = path.join(this.state.snapshotFolder(stored.botId, name), "data");
    await this.state.replaceWithCopy(source, this.state.dataFolder(stored.botId));
    await this.state.writeJson(this.state.containerFile(id), { ...stored, parentSnapshot: name });
  }

  async deleteSnapshot(id: string, name: string): Promise<void> {
    const stored = await this.require(id);
    if (!(await this.readSnapshot(stored.botId, name))) throw new NotFoundError(`snapshot ${name} not found`);
    await rm(this.state.snapshotFolder(stored.botId, name), { recursive: true, force: true });
  }

  /** Running agents keep running, as the contract asks; this instance only stops listening for their exit. */
  async close(): Promise<void> {
    this.children.clear();
  }

  /**
   * Resolves once the task of `id` has exited (at once if none runs): the
   * exit event of an agent this instance started, else a bounded look at
   * /proc. Throws if it still runs after `timeoutMs`.
   */
  async taskExited(id: string, timeoutMs = 5_000): Promise<void> {
    const task = (await this.require(id)).task;
    if (task && !(await this.waitForExit(task.pid, task.startTicks, timeoutMs)))
      throw new Error(`the task of ${id} (pid ${task.pid}) still runs after ${timeoutMs} ms`);
  }

  /** The agent's log so far, for a test's failure message. */
  agentLog(id: string): Promise<string> {
    return readFile(this.state.logFile(id), "utf8").catch(() => "");
  }

  /** What this runtime would have to claim without enforcing it: refused, with the reason. */
  private refuseUnenforced(spec: Partial<ContainerSettings>): void {
    if (spec.network !== undefined && spec.network !== "host")
      throw new BadRequestError(
        `network "${spec.network}" cannot be enforced by the fake runtime (bots are host processes without a network namespace): use "host"`,
      );
    if (spec.isolation === "gvisor")
      throw new BadRequestError('isolation "gvisor" is not available on the fake runtime: use "namespaces"');
    const limits = Object.entries(spec.limits ?? {}).filter(([, value]) => value !== undefined);
    if (limits.length > 0)
      throw new BadRequestError(
        `the fake runtime enforces no limits (no cgroup, no quota): remove ${limits.map(([key]) => key).join(", ")}`,
      );
  }

  private async waitForExit(pid: number, startTicks: number, timeoutMs: number): Promise<boolean> {
    const child = this.children.get(pid);
    if (child) {
      if (child.exitCode !== null || child.signalCode !== null) return true;
      // A timer that holds the event loop: the child itself is unref'd, so nothing else would.
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          child.off("exit", exited);
          resolve(false);
        }, timeoutMs);
        const exited = () => {
          clearTimeout(timer);
          resolve(true);
        };
        child.once("exit", exited);
      });
    }
    // Started by another instance: its exit can only be looked for.
    const deadline = Date.now() + timeoutMs;
    while (await isSameProcessAlive(pid, startTicks)) {
      if (Date.now() >= deadline) return false;
      await sleep(20);
    }
    return true;
  }

  private stored(id: string): Promise<StoredContainer | undefined> {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) return Promise.resolve(undefined);
    return this.state.readJson<StoredContainer>(this.state.containerFile(id));
  }

  private async require(id: string): Promise<StoredContainer> {
    const stored = await this.stored(id);
    if (!stored) throw new NotFoundError(`container ${id} not found`);
    return stored;
  }

  private async requireStopped(id: string): Promise<StoredContainer> {
    const stored = await this.require(id);
    if ((await this.taskInfo(id)).state === "running")
      throw new ConflictError(`container ${id} is running: stop its task first`);
    return stored;
  }

  private readSnapshot(botId: string, name: string): Promise<StoredSnapshot | undefined> {
    if (!SNAPSHOT_NAME.test(name)) return Promise.resolve(undefined);
    return this.state.readJson<StoredSnapshot>(path.join(this.state.snapshotFolder(botId, name), "snapshot.json"));
  }
}
