/**
 * The containerd runtime: every bot is a containerd container `mcp-<botId>`
 * in one namespace, run by runc, with its root filesystem in a writable
 * snapshot and /data in a host folder. containerd holds the records (labels,
 * OCI spec), so a new instance, after a server restart, sees every container
 * and its running task. The agent listens on a Unix socket in a host folder
 * bound at /run/botbox (or, for images built for the original, on TCP :9090
 * of the bot's CNI address, with its token).
 */
import { readFile, rm } from "node:fs/promises";
import path from "node:path";

import type { AgentEndpoint } from "../../client/index.js";
import { BadRequestError, ConflictError, NotFoundError } from "../../errors.js";
import type { Container } from "../../gen/containerd/github.com/containerd/containerd/api/services/containers/v1/containers.js";
import { checkedSocketAddress } from "../agent-socket.js";
import { withCgroupUsage } from "../cgroup-usage.js";
import { checkContainerIds, checkContainerSpec } from "../container-spec.js";
import { withDiskUsage } from "../disk-usage.js";
import { HostFirewall } from "../host-firewall.js";
import { ImageStoreRuntime } from "../image-methods.js";
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  DoctorCheck,
  SnapshotInfo,
  StopOptions,
  TaskInfo,
} from "../runtime.js";
import { MIN_DISK_BYTES } from "../sandbox/state/disk-image.js";
import { snapshotInfo } from "../snapshot-info.js";
import { hasLabels } from "../stored-spec.js";
import { stopRunningTask } from "../task-stop.js";
import { ContainerdApi } from "./api.js";
import { ContainerdBotDisk, diskQuotaSupport } from "./bot-disk.js";
import { prepareBotFolders, runFolderOf } from "./bot-folders.js";
import { containerdBridgeState } from "./bridge-firewall.js";
import { ContainerMaker } from "./container-maker.js";
import { containerInfoOf, containerSpecOf, processUserOf, storedSpecOf, tokenOf } from "./container-record.js";
import { ContainerdContainers } from "./container-store.js";
import { containerdDoctor } from "./doctor.js";
import { findRunsc } from "./gvisor.js";
import { type IdRange, releaseIdRange } from "./id-range.js";
import { ContainerdImages } from "./images.js";
import { type BotPaths, botPaths } from "./layout.js";
import { BotNetwork } from "./network.js";
import { AGENT_TCP_PORT, type ChannelMode } from "./oci-spec.js";
import type { ContainerdRuntimeOptions } from "./options.js";
import { ShiftedBases } from "./shifted-base.js";
import { BotSnapshots } from "./snapshots.js";
import { Tasks } from "./tasks.js";

export class ContainerdRuntime extends ImageStoreRuntime implements ContainerRuntime {
  readonly name = "containerd";
  /** isolated: host nftables rules per bot on the CNI bridge (bridge-firewall.ts). */
  readonly capabilities: { diskQuota: boolean; isolatedNetwork: boolean; gvisor: boolean; resourceLimits: boolean };
  private readonly home: string;
  /** limits.diskBytes: a loop-mounted image per bot (bot-disk.ts), when this server can make one. */
  private readonly disk: ContainerdBotDisk;
  private readonly diskQuota: { ok: boolean; detail: string };
  private readonly api: ContainerdApi;
  private readonly containers: ContainerdContainers;
  private readonly snapshotter: string;
  protected readonly images: ContainerdImages;
  private readonly snapshots: BotSnapshots;
  private readonly shiftedBases: ShiftedBases;
  private readonly tasks: Tasks;
  private readonly network: BotNetwork;
  private readonly channel: ChannelMode;
  private readonly cniBinDir: string;
  private readonly firewall: HostFirewall;
  private readonly runsc: string | undefined;
  private readonly maker: ContainerMaker;

  constructor(options: ContainerdRuntimeOptions) {
    super();
    this.runsc = options.runscPath === undefined ? findRunsc() : options.runscPath || undefined;
    this.home = path.resolve(options.home);
    this.api = new ContainerdApi(options.socketPath, options.namespace ?? "default");
    this.containers = new ContainerdContainers(this.api);
    this.snapshotter = options.snapshotter ?? "overlayfs";
    this.diskQuota = diskQuotaSupport(this.snapshotter);
    // resourceLimits: the OCI spec's cgroup (botbox/<id>) carries them, under runc and runsc alike.
    this.capabilities = {
      diskQuota: this.diskQuota.ok,
      isolatedNetwork: true,
      gvisor: this.runsc !== undefined,
      resourceLimits: true,
    };
    this.disk = new ContainerdBotDisk(this.home);
    this.images = new ContainerdImages(this.api, this.snapshotter, options.knownImages);
    // A quota bot's layer is on its image: it goes into the snapshotter's folder before any commit.
    this.snapshots = new BotSnapshots(this.api, this.snapshotter, this.home, async (containerId, botId) =>
      this.disk.flush(botId, await this.snapshots.mounts(containerId)),
    );
    this.shiftedBases = new ShiftedBases(this.api, this.snapshotter);
    this.tasks = new Tasks(this.api);
    this.channel = options.agentChannel ?? "unix";
    this.cniBinDir = options.cniBinDir ?? "/usr/lib/cni";
    this.network = new BotNetwork({
      binDir: this.cniBinDir,
      confDir: options.cniConfDir ?? path.join(this.home, "cni"),
      name: "botbox",
      bridge: options.bridge ?? "botbox0",
      subnet: options.subnet ?? "10.88.0.0/16",
      ...(options.cniIpamDataDir ? { ipamDataDir: options.cniIpamDataDir } : {}),
    });
    this.firewall = new HostFirewall("containerd", () => containerdBridgeState(this.api, this.network));
    this.maker = new ContainerMaker({
      home: this.home,
      api: this.api,
      snapshotter: this.snapshotter,
      images: this.images,
      snapshots: this.snapshots,
      shiftedBases: this.shiftedBases,
      disk: this.disk,
      network: this.network,
      runsc: this.runsc,
      userNamespaces: options.userNamespaces ?? true,
      seccomp: options.seccomp ?? true,
      noNewPrivileges: options.noNewPrivileges ?? true,
    });
  }

  doctor(): Promise<DoctorCheck[]> {
    return containerdDoctor(this.api, this.snapshotter, this.cniBinDir, this.runsc, this.diskQuota);
  }

  async deleteImage(ref: string): Promise<void> {
    const image = await this.images.find(ref);
    if (!image) throw new NotFoundError(`image ${ref} not found`);
    // Containers name their image as they were given it: `foo:1` and `docker.io/library/foo:1` are one image.
    const users: ContainerInfo[] = [];
    for (const container of await this.listContainers())
      if ((await this.images.find(container.image))?.name === image.name) users.push(container);
    if (users.length > 0) throw new ConflictError(`image ${ref} is used by ${users.map((c) => c.id).join(", ")}`);
    await this.shiftedBases.removeOn((await this.images.runnable(ref)).topSnapshot);
    await this.images.delete(ref);
  }

  async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    const paths = botPaths(this.home, spec.botId);
    checkContainerIds(spec.id, spec.botId, paths.socket);
    checkContainerSpec(spec);
    if (spec.isolation === "gvisor" && !this.runsc)
      throw new BadRequestError('isolation "gvisor": runsc is not installed here (apt-get install runsc)');
    if (spec.limits.diskBytes !== undefined && !this.diskQuota.ok) throw new BadRequestError(this.diskQuota.detail);
    if (spec.limits.diskBytes !== undefined && spec.limits.diskBytes < MIN_DISK_BYTES)
      throw new BadRequestError(
        `limits.disk_bytes must be at least ${MIN_DISK_BYTES} bytes (64 MiB, ext4's own structures), got ${spec.limits.diskBytes}`,
      );
    if (this.channel === "tcp" && spec.network === "none")
      throw new BadRequestError('the tcp agent channel needs a network with an address to dial, not "none"');
    if (await this.containers.get(spec.id)) throw new ConflictError(`container ${spec.id} already exists`);
    await this.maker.make(spec, { channel: this.channel, createdAt: new Date().toISOString() });
    return (await this.getContainer(spec.id))!;
  }

  /**
   * Recreates a container on the image its ref names now, e.g. after the
   * agent image was rebuilt (the original deleted such containers and their
   * writable layers). The ref is resolved again, so a known tar whose key changed is
   * imported first. /data (a host folder), snapshots, spec, labels and token
   * are kept; the writable layer is never deleted: on an image with the same
   * top layer it carries on, otherwise it is committed as snapshot
   * `recovered-<time>` (see writable-layer.ts) and the container gets a fresh
   * one on the new image. A running task is stopped and started again. False
   * when the container already runs on that image.
   */
  async upgradeContainer(id: string): Promise<boolean> {
    const container = await this.containers.required(id);
    const spec = containerSpecOf(container)!;
    const stored = storedSpecOf(container)!;
    const paths = botPaths(this.home, spec.botId);
    if (stored.run !== paths.run || stored.data !== paths.data)
      throw new BadRequestError(`container ${id} was made by a runtime in another home (its /data is ${stored.data})`);
    const image = await this.images.ensure(spec.image);
    if (stored.imageId === image.id) return false;
    const wasRunning = (await this.tasks.info(id, paths.lastExit)).state === "running";
    if (wasRunning) await this.stopTask(id);
    // The record goes, the writable layer and /data stay (keepData); make() takes the layer over.
    await this.deleteContainer(id, { keepData: true });
    await this.maker.make(spec, { channel: stored.channel, createdAt: stored.createdAt });
    if (wasRunning) await this.startTask(id);
    return true;
  }

  async getContainer(id: string): Promise<ContainerInfo | undefined> {
    const container = await this.containers.get(id);
    return container && containerInfoOf(container);
  }

  async listContainers(labels: Record<string, string> = {}): Promise<ContainerInfo[]> {
    const containers = await this.containers.list();
    // A server (re)starting lists its bots first: from then on the firewall is kept current.
    this.firewall.keepCurrent();
    return containers
      .flatMap((container) => containerInfoOf(container) ?? [])
      .filter((info) => hasLabels(info, labels));
  }

  async deleteContainer(id: string, options: { keepData?: boolean } = {}): Promise<void> {
    const container = await this.containers.required(id);
    const info = containerInfoOf(container)!;
    const paths = botPaths(this.home, info.botId);
    await this.settleTask(id, paths);
    if (info.network !== "none") await this.detach(id, info.botId, paths.network);
    await this.containers.delete(id);
    // The image and its binds come off; with keepData the image file stays for the next container.
    await this.disk.unmountAll(info.botId);
    if (options.keepData) {
      // The writable snapshot stays (a garbage-collection root): the bot's next container goes on from it.
      await rm(paths.run, { recursive: true, force: true });
      return;
    }
    await this.snapshots.removeActive(id).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
    await this.snapshots.deleteAll(info.botId);
    const idRange = storedSpecOf(container)?.idRange;
    await rm(paths.root, { recursive: true, force: true });
    // Only once nothing of the bot is left on disk: the next holder of the range must find none of its files.
    if (idRange) await releaseIdRange(idRange);
  }

  /** What `deleteContainer({ keepData })` left of a bot deleted for good: its layer, snapshots, folder and id range. */
  async discardKeptData(botId: string): Promise<void> {
    const id = `mcp-${botId}`;
    if (await this.containers.get(id)) throw new ConflictError(`bot ${botId} still has its container ${id}`);
    const paths = botPaths(this.home, botId);
    await this.snapshots.removeActive(id).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
    await this.snapshots.deleteAll(botId);
    await this.disk.unmountAll(botId);
    const idRange = await readFile(paths.idRange, "utf8").then(
      (text) => JSON.parse(text) as IdRange,
      () => undefined,
    );
    await rm(paths.root, { recursive: true, force: true });
    if (idRange) await releaseIdRange(idRange);
  }

  async startTask(id: string): Promise<TaskInfo> {
    const container = await this.containers.required(id);
    const info = containerInfoOf(container)!;
    const paths = botPaths(this.home, info.botId);
    const task = await this.tasks.get(id);
    if (task && (await this.tasks.info(id, paths.lastExit)).state === "running")
      throw new ConflictError(`task of ${id} is already running`);
    if (task) await this.tasks.delete(id, paths.lastExit);
    const idRange = storedSpecOf(container)?.idRange;
    // After a reboot the image is mounted again before the folders are given their owner (on the image).
    await this.mountDisk(container);
    await prepareBotFolders(this.home, info.botId, processUserOf(container), idRange);
    await rm(runFolderOf(container, paths).socket, { force: true });
    if (info.network !== "none") {
      await this.network.attach(id, info.botId, paths.network);
      this.firewall.keepCurrent();
      const first = idRange?.first ?? 0;
      await this.network.allowPing(info.botId, first, idRange ? first + idRange.size - 1 : 2147483647);
    }
    try {
      // The bot's rules are in before its first instruction runs: its address is known from the ADD.
      if (info.network !== "none") await this.firewall.sync();
      await this.tasks.start(
        id,
        await this.maker.rootfs(id, info.botId, idRange, storedSpecOf(container)?.limits.diskBytes),
        paths.log,
        paths.lastExit,
      );
    } catch (error) {
      if (info.network !== "none") await this.detach(id, info.botId, paths.network);
      throw error;
    }
    return this.taskInfo(id);
  }

  async stopTask(id: string, options: StopOptions = {}): Promise<TaskInfo> {
    const container = await this.containers.required(id);
    const info = containerInfoOf(container)!;
    const paths = botPaths(this.home, info.botId);
    if ((await this.tasks.info(id, paths.lastExit)).state === "running")
      await stopRunningTask(
        id,
        {
          signal: (signal, all) => this.tasks.kill(id, signal, all),
          waitForExit: (ms) => this.tasks.waitForExit(id, ms),
        },
        options,
      );
    await this.settleTask(id, paths);
    if (info.network !== "none") await this.detach(id, info.botId, paths.network);
    return this.taskInfo(id);
  }

  async taskInfo(id: string): Promise<TaskInfo> {
    const container = await this.containers.required(id);
    const info = containerInfoOf(container)!;
    // The task's cgroup (botbox/<id>), found from its pid: cheaper than Tasks.Metrics (docs/runtimes.md).
    const task = await this.tasks.info(id, botPaths(this.home, info.botId).lastExit);
    const usage = await withCgroupUsage(task, { gvisor: info.isolation === "gvisor" });
    const hasDisk = storedSpecOf(container)?.limits.diskBytes !== undefined;
    return withDiskUsage(usage, hasDisk ? this.disk.mountPoint(info.botId) : undefined);
  }

  async agentEndpoint(id: string): Promise<AgentEndpoint | undefined> {
    const container = await this.containers.required(id);
    const info = containerInfoOf(container)!;
    const paths = botPaths(this.home, info.botId);
    if ((await this.tasks.info(id, paths.lastExit)).state !== "running") return undefined;
    const token = tokenOf(container) ?? "";
    if (storedSpecOf(container)?.channel === "tcp") {
      const ip = await this.network.ipOf(paths.network);
      return ip ? { address: `${ip}:${AGENT_TCP_PORT}`, token } : undefined;
    }
    // A fixed path per bot: it survives restarts of the task and of the server.
    return { address: await checkedSocketAddress(runFolderOf(container, paths).socket), token };
  }

  async agentRunFolder(id: string): Promise<string> {
    const container = await this.containers.required(id);
    return path.dirname(runFolderOf(container, botPaths(this.home, containerInfoOf(container)!.botId)).socket);
  }

  async commitSnapshot(id: string, name: string): Promise<SnapshotInfo> {
    const container = await this.stopped(id);
    const info = containerInfoOf(container)!;
    // /data is copied from the image's folder, not from what a missing bind would leave visible.
    await this.mountDisk(container);
    const parent = info.parentSnapshot;
    const snapshot = await this.snapshots.commit(id, info.botId, name, parent);
    await this.containers.setParent(container, name);
    return snapshotInfo({ ...snapshot, parent });
  }

  async listSnapshots(id: string): Promise<SnapshotInfo[]> {
    const info = containerInfoOf(await this.containers.required(id))!;
    return (await this.snapshots.list(info.botId)).map(snapshotInfo);
  }

  async restoreSnapshot(id: string, name: string): Promise<void> {
    const container = await this.stopped(id);
    const botId = containerInfoOf(container)!.botId;
    const snapshot = await this.snapshots.find(botId, name);
    await this.snapshots.removeActive(id);
    await this.snapshots.prepareActive(id, snapshot.key);
    await this.mountDisk(container);
    // The discarded layer leaves the image now, or it would count against the quota while /data is copied back.
    if (storedSpecOf(container)?.limits.diskBytes !== undefined)
      await this.disk.layerMounts(botId, await this.snapshots.mounts(id));
    await this.snapshots.restoreData(botId, name);
    await this.containers.setParent(container, name);
  }

  async deleteSnapshot(id: string, name: string): Promise<void> {
    await this.snapshots.delete(containerInfoOf(await this.containers.required(id))!.botId, name);
  }

  async close(): Promise<void> {
    // Tasks run in containerd's shims: only the channel goes (and the firewall's timer; its table stays).
    this.firewall.close();
    this.api.close();
  }

  /** The namespace and address go, then the address's rules: they must not pass to the next bot given it. */
  private async detach(id: string, botId: string, recordFile: string): Promise<void> {
    await this.network.detach(id, botId, recordFile);
    await this.firewall.sync();
  }

  /** A task that ended (or was stopped) is deleted, which unmounts its root filesystem. */
  private async settleTask(id: string, paths: BotPaths): Promise<void> {
    const task = await this.tasks.info(id, paths.lastExit);
    if (task.state === "running") throw new ConflictError(`container ${id} has a running task: stop it first`);
    await this.tasks.delete(id, paths.lastExit);
  }

  /** Mounts a quota bot's image and binds (idempotent: after a reboot, or a keepData delete). */
  private async mountDisk(container: Container): Promise<void> {
    const diskBytes = storedSpecOf(container)?.limits.diskBytes;
    if (diskBytes !== undefined) await this.disk.mount(containerInfoOf(container)!.botId, diskBytes);
  }

  private async stopped(id: string): Promise<Container> {
    const container = await this.containers.required(id);
    const paths = botPaths(this.home, containerInfoOf(container)!.botId);
    if ((await this.tasks.info(id, paths.lastExit)).state === "running")
      throw new ConflictError(`task of ${id} is running: stop it first`);
    await this.settleTask(id, paths);
    return container;
  }
}
