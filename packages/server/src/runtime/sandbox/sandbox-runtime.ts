/**
 * The embedded default runtime: every bot is a bubblewrap sandbox on this
 * machine, no daemon. Tasks are detached processes recorded on disk, so they
 * outlive the server and any later SandboxRuntime on the same home sees them.
 */
import { appendFile, lchown, lstat, readdir } from "node:fs/promises";
import path from "node:path";

import type { AgentEndpoint } from "../../client/index.js";
import { BadRequestError, ConflictError, NotFoundError, UnavailableError } from "../../errors.js";
import { packagePath } from "../../package-paths.js";
import { withCgroupUsage } from "../cgroup-usage.js";
import { botIdOf, checkContainerIds, checkContainerSpec } from "../container-spec.js";
import { withDiskUsage } from "../disk-usage.js";
import { ImageStoreRuntime } from "../image-methods.js";
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSettings,
  ContainerSpec,
  DoctorCheck,
  RuntimeCapabilities,
  SnapshotInfo,
  StopOptions,
  TaskInfo,
} from "../runtime.js";
import { hasLabels } from "../stored-spec.js";
import { BotNetworks } from "./bot-networks.js";
import { BotStates } from "./bot-state.js";
import { SandboxCgroups } from "./cgroups.js";
import { containerInfo, type ContainerRecord, ContainerStore, withBotLabel } from "./container-store.js";
import { sandboxDoctor } from "./doctor.js";
import { findBwrap } from "./find-bwrap.js";
import { prepareRoot } from "./gvisor/oci-bundle.js";
import { findRunsc, Runsc } from "./gvisor/runsc.js";
import { type HostIdentity, runningAsRoot } from "./host-ids.js";
import { ImageStore } from "./images/image-store.js";
import { readJsonFile } from "./json-file.js";
import { botPaths } from "./layout.js";
import { stopHelper } from "./network/slirp.js";
import { type StagedFiles, stageFiles } from "./staging.js";
import { MIN_DISK_BYTES } from "./state/disk-image.js";
import type { WritableState } from "./state/writable-state.js";
import { startSandbox, stopSandbox } from "./task-control.js";
import { isAlive, readTaskInfo, type TaskRecord } from "./task-record.js";

export interface SandboxRuntimeOptions {
  /** botbox's state folder, e.g. `./.botbox`. */
  home: string;
  /** The bundled agent, `packages/agent/dist/agent.js`. */
  agentBundle: string;
  /** The node binary run inside; default: the server's own. */
  nodeBinary?: string;
  /** Start agents with a V8 code cache made at staging (about 30 ms faster). Default: true. */
  agentCodeCache?: boolean;
  /** Default: `bwrap` on PATH. */
  bwrapPath?: string;
  /** Seeded into /data at agent start; default: the agent package's templates. */
  templateDir?: string;
  /**
   * Network namespaces for isolated bots kept made ahead, rules and
   * slirp4netns attached (network/netns-pool.ts); 0 turns the pool off.
   * Default: DEFAULT_NETWORK_POOL (settings.ts).
   */
  networkPool?: number;
  /** Where warnings go (limits not applied, ...); they are written to the bot's agent.log too. */
  logger?: { warn(fields: object, message: string): void };
}

const DEFAULT_TEMPLATES = packagePath("agent", "templates");

export class SandboxRuntime extends ImageStoreRuntime implements ContainerRuntime {
  readonly name = "sandbox";
  /**
   * Disk quotas are loop-mounted file systems (state/disk-image.ts): root only.
   * resourceLimits is known once detectCapabilities has looked at the cgroups.
   */
  readonly capabilities: RuntimeCapabilities = {
    diskQuota: runningAsRoot(),
    gvisor: runningAsRoot() && findRunsc() !== undefined,
    isolatedNetwork: true,
  };
  private readonly home: string;
  private readonly bwrapPath: string;
  protected readonly images: ImageStore;
  private readonly containers: ContainerStore;
  private staged?: Promise<StagedFiles>;
  private readonly cgroups = new SandboxCgroups();
  private readonly states: BotStates;
  private readonly networks: BotNetworks;

  constructor(private readonly options: SandboxRuntimeOptions) {
    super();
    this.home = path.resolve(options.home);
    this.bwrapPath = findBwrap(options.bwrapPath);
    this.images = new ImageStore(this.home, this.bwrapPath);
    this.containers = new ContainerStore(this.home);
    this.states = new BotStates(this.home);
    this.networks = new BotNetworks({
      home: this.home,
      containers: this.containers,
      ...(options.networkPool === undefined ? {} : { networkPool: options.networkPool }),
      ...(options.logger ? { logger: options.logger } : {}),
      warn: (record, message) => this.warn(record, message),
    });
  }

  /**
   * resourceLimits: true where the bot's cgroups can be made (root, and the
   * memory, pids and cpu controllers). Elsewhere false: a bot's own limits
   * are refused, and the manager leaves the server's default limits out,
   * rather than start a bot whose limits would not hold.
   */
  async detectCapabilities(): Promise<RuntimeCapabilities> {
    this.capabilities.resourceLimits = (await this.cgroups.detect()).mode !== "none";
    return this.capabilities;
  }

  doctor(): Promise<DoctorCheck[]> {
    return sandboxDoctor(this.bwrapPath, this.home, () => this.stage());
  }

  async deleteImage(ref: string): Promise<void> {
    const users = (await this.containers.list()).filter((record) => record.spec.image === ref);
    if (users.length > 0) throw new ConflictError(`image ${ref} is used by ${users.map((r) => r.spec.id).join(", ")}`);
    await this.images.delete(ref);
  }

  async createContainer(input: ContainerSpec): Promise<ContainerInfo> {
    checkContainerIds(input.id, input.botId, botPaths(this.home, input.botId).socket);
    checkContainerSpec(input);
    await this.cgroups.refuseUnenforceable(input.limits);
    if (input.network === "isolated") this.networks.isolated();
    if (input.isolation === "gvisor") {
      if (!this.capabilities.gvisor)
        throw new BadRequestError(
          'isolation "gvisor" needs gVisor\'s runsc (apt-get install runsc) and the server running as root',
        );
      if ((await this.images.resolve(input.image)).kind !== "host")
        throw new BadRequestError('isolation "gvisor" runs the default image only for now; use isolation "namespaces"');
    }
    const spec = withBotLabel(input);
    await this.images.ensure(spec.image);
    const diskBytes = spec.limits.diskBytes;
    if (diskBytes !== undefined && !this.capabilities.diskQuota)
      throw new BadRequestError(
        "limits.diskBytes needs the server to run as root (a loop-mounted file system per bot)",
      );
    if (diskBytes !== undefined && diskBytes < MIN_DISK_BYTES)
      throw new BadRequestError(`limits.diskBytes must be at least ${MIN_DISK_BYTES} bytes`);
    const identity = await this.containers.prepare(spec);
    if (diskBytes !== undefined) {
      const paths = botPaths(this.home, spec.botId);
      const disk = this.states.disk(spec.botId);
      // Kept data from before quotas lives in state/ itself: a file system mounted over it would hide it.
      if (!(await disk.exists()) && (await readdir(paths.state).catch(() => [])).length > 0)
        await this.warn(
          { spec, identity } as ContainerRecord,
          "disk quota not applied: the kept data of this bot predates disk quotas",
        );
      else await disk.create(diskBytes);
    }
    const record: ContainerRecord = { spec, createdAt: new Date().toISOString(), identity };
    const state = await this.states.of(record);
    await state.init();
    if (spec.fromSnapshot) {
      if (!(await state.list()).some((snapshot) => snapshot.name === spec.fromSnapshot))
        throw new NotFoundError(`snapshot ${JSON.stringify(spec.fromSnapshot)} not found for ${spec.id}`);
      await state.restore(spec.fromSnapshot);
    }
    await this.containers.save(record);
    return containerInfo(record, await state.parent());
  }

  async getContainer(id: string): Promise<ContainerInfo | undefined> {
    const botId = botIdOf(id);
    const record = botId === undefined ? undefined : await this.containers.get(botId);
    return record && containerInfo(record, await (await this.states.of(record)).parent());
  }

  async listContainers(labels: Record<string, string> = {}): Promise<ContainerInfo[]> {
    const records = (await this.containers.list()).filter((record) => hasLabels(record.spec, labels));
    return Promise.all(
      records.map(async (record) => containerInfo(record, await (await this.states.of(record)).parent())),
    );
  }

  async deleteContainer(id: string, options: { keepData?: boolean } = {}): Promise<void> {
    const record = await this.record(id);
    if (await this.running(record)) throw new ConflictError(`container ${id} has a running task: stop it first`);
    await this.cleanUpTask(record);
    await this.states.disk(record.spec.botId).unmount();
    await this.containers.remove(record, options.keepData ?? false);
  }

  async updateContainer(id: string, changes: ContainerSettings): Promise<ContainerInfo> {
    const record = await this.record(id);
    if (await this.running(record)) throw new ConflictError(`task of ${id} is running: stop it first`);
    const spec: ContainerSpec = { ...record.spec, ...changes };
    checkContainerSpec(spec);
    if ((spec.limits.diskBytes ?? 0) !== (record.spec.limits.diskBytes ?? 0))
      throw new BadRequestError(
        "limits.disk_bytes of an existing container cannot change: its file system has that size",
      );
    if (spec.network === "isolated") this.networks.isolated();
    if (spec.isolation === "gvisor" && !this.capabilities.gvisor)
      throw new BadRequestError('isolation "gvisor" needs gVisor\'s runsc and the server running as root');
    const updated: ContainerRecord = { ...record, spec };
    await this.containers.save(updated);
    return containerInfo(updated, await (await this.states.of(updated)).parent());
  }

  async discardKeptData(botId: string): Promise<void> {
    if (await this.containers.get(botId)) throw new ConflictError(`bot ${botId} still has a container`);
    await this.states.disk(botId).unmount();
    await this.containers.discard(botId);
  }

  async startTask(id: string): Promise<TaskInfo> {
    const record = await this.record(id);
    if (await this.running(record)) throw new ConflictError(`task of ${id} is already running`);
    const network = record.spec.network === "isolated" ? this.networks.isolated() : undefined;
    // A task that died on its own may have left its slirp4netns behind.
    await this.cleanUpTask(record);
    const [image, staged, state, cgroup] = await Promise.all([
      this.images.resolve(record.spec.image),
      this.stage(),
      this.states.of(record),
      this.cgroups.create(record.spec.id, record.spec.limits, (message) => this.warn(record, message)),
    ]);
    await this.containers.secureRunDir(record);
    const task = await startSandbox({
      bwrapPath: this.bwrapPath,
      paths: botPaths(this.home, record.spec.botId),
      record,
      image,
      staged,
      state,
      cgroup,
      ...(network ? { network } : {}),
      ...(record.spec.isolation === "gvisor"
        ? { gvisor: { runsc: this.runsc(), root: await (this.gvisorRoot ??= prepareRoot(this.home)) } }
        : {}),
      switchUser: runningAsRoot(),
      warn: (message) => this.warn(record, message),
    });
    return { state: "running", pid: task.pid, startedAt: new Date(task.startedAt) };
  }

  async stopTask(id: string, options: StopOptions = {}): Promise<TaskInfo> {
    const record = await this.record(id);
    const paths = botPaths(this.home, record.spec.botId);
    const task = await readJsonFile<TaskRecord>(paths.task);
    if (task && (await isAlive(task)))
      await stopSandbox(task, options, task.gvisor ? this.gvisorOf(record) : undefined);
    await this.cleanUpTask(record);
    return readTaskInfo(paths.task, paths.status);
  }

  async taskInfo(id: string): Promise<TaskInfo> {
    const record = await this.record(id);
    const paths = botPaths(this.home, record.spec.botId);
    const info = await readTaskInfo(paths.task, paths.status);
    if (info.state !== "running") return info;
    // Only what the kernel counted: a bot without cgroups reports no usage rather than a guess.
    const cgroup = await this.cgroups.of(record.spec.id);
    const usage = await withCgroupUsage(info, {
      gvisor: record.spec.isolation === "gvisor",
      read: () => cgroup.usage(),
    });
    const disk = record.spec.limits.diskBytes === undefined ? undefined : this.states.disk(record.spec.botId);
    return withDiskUsage(usage, disk?.mountPoint);
  }

  async agentEndpoint(id: string): Promise<AgentEndpoint | undefined> {
    const record = await this.record(id);
    if (!(await this.running(record))) return undefined;
    const socket = botPaths(this.home, record.spec.botId).socket;
    if (runningAsRoot()) await claimAgentSocket(socket, record.identity);
    // A fixed path per bot: it survives restarts of the task and of the server.
    return { address: `unix:${socket}`, token: record.spec.agentToken };
  }

  async agentRunFolder(id: string): Promise<string> {
    return botPaths(this.home, (await this.record(id)).spec.botId).run;
  }

  async commitSnapshot(id: string, name: string): Promise<SnapshotInfo> {
    return (await this.stoppedState(id)).commit(name);
  }

  async listSnapshots(id: string): Promise<SnapshotInfo[]> {
    return (await this.states.of(await this.record(id))).list();
  }

  async restoreSnapshot(id: string, name: string): Promise<void> {
    await (await this.stoppedState(id)).restore(name);
  }

  async deleteSnapshot(id: string, name: string): Promise<void> {
    // Allowed while running: layers the running state sits on are kept.
    await (await this.states.of(await this.record(id))).delete(name);
  }

  /** How many pooled network namespaces are ready now (the bench reports how many starts took one). */
  get networkPoolReady(): number {
    return this.networks.pooledReady;
  }

  async close(): Promise<void> {
    // Tasks are detached and keep running; the host-name refresh stops, and
    // the pooled network namespaces no bot has taken end.
    await this.networks.close();
  }

  private async record(id: string): Promise<ContainerRecord> {
    const botId = botIdOf(id);
    const record = botId === undefined ? undefined : await this.containers.get(botId);
    if (!record) throw new NotFoundError(`container ${JSON.stringify(id)} not found`);
    return record;
  }

  private async running(record: ContainerRecord): Promise<boolean> {
    const task = await readJsonFile<TaskRecord>(botPaths(this.home, record.spec.botId).task);
    return task !== undefined && (await isAlive(task));
  }

  private async stoppedState(id: string): Promise<WritableState> {
    const record = await this.record(id);
    if (await this.running(record)) throw new ConflictError(`task of ${id} is running: stop it first`);
    return this.states.of(record);
  }

  private runscInstance?: Runsc;
  private gvisorRoot?: Promise<string>;

  private runsc(): Runsc {
    const binary = findRunsc();
    if (!binary) throw new UnavailableError("gVisor's runsc is not installed: apt-get install runsc");
    this.runscInstance ??= new Runsc(binary, path.join(this.home, "runsc"));
    return this.runscInstance;
  }

  private gvisorOf(record: ContainerRecord) {
    return { runsc: this.runsc(), containerId: record.spec.id, network: record.spec.network };
  }

  /** What a task leaves behind when it ends: the state's mount, the cgroups, slirp4netns. */
  private async cleanUpTask(record: ContainerRecord): Promise<void> {
    const task = await readJsonFile<TaskRecord>(botPaths(this.home, record.spec.botId).task);
    await stopHelper(task?.network?.slirp);
    if (task?.gvisor) await this.runsc().remove(record.spec.network, record.spec.id);
    await (await this.states.of(record)).deactivate();
    await (await this.cgroups.of(record.spec.id)).remove();
  }

  private stage(): Promise<StagedFiles> {
    this.staged ??= stageFiles(
      this.home,
      {
        agentBundle: this.options.agentBundle,
        nodeBinary: this.options.nodeBinary ?? process.execPath,
        templateDir: this.options.templateDir ?? DEFAULT_TEMPLATES,
        codeCache: this.options.agentCodeCache ?? true,
      },
      this.options.logger,
    ).catch((error: unknown) => {
      this.staged = undefined;
      throw error;
    });
    return this.staged;
  }

  private async warn(record: ContainerRecord, message: string): Promise<void> {
    this.options.logger?.warn({ botId: record.spec.botId }, message);
    const line = JSON.stringify({ level: 40, time: Date.now(), service: "botbox-sandbox", msg: message });
    await appendFile(botPaths(this.home, record.spec.botId).log, `${line}\n`, { mode: 0o600 }).catch(() => {});
  }
}

/**
 * The host never dials a path the bot controls. The bot's run folder is
 * root's, group-writable for the bot and sticky, so the bot may create
 * files there but not rename or delete one it does not own. The first time
 * the host sees the agent's socket (right after the agent's first answer,
 * before any command of the bot's runs) it takes it over: root's from then
 * on, it can no longer be replaced. Anything else at that path (a symlink to
 * another bot's socket, a file, a socket of another owner) is refused.
 */
async function claimAgentSocket(socket: string, identity: HostIdentity): Promise<void> {
  const stats = await lstat(socket).catch(() => undefined);
  if (!stats) return; // Not bound yet: nothing answers there.
  const refuse = (what: string) =>
    new UnavailableError(`the agent socket ${socket} ${what}: not dialled (replaced from inside the bot?)`);
  if (!stats.isSocket()) throw refuse(stats.isSymbolicLink() ? "is a symbolic link" : "is not a socket");
  if (stats.uid === 0) return;
  if (stats.uid !== identity.uid) throw refuse(`belongs to uid ${stats.uid}`);
  await lchown(socket, 0, 0);
  const after = await lstat(socket);
  if (!after.isSocket() || after.uid !== 0 || after.ino !== stats.ino) throw refuse("changed while being taken over");
}
