/**
 * The Docker runtime: every bot is a Docker container (`mcp-<botId>`) through
 * the Engine API. The daemon holds the records (labels, env), so a new
 * instance, after a server restart, sees every container and its running
 * task. The agent listens on a Unix socket in a host folder bound at
 * /run/botbox, and /data is a host folder too: the daemon must run on this
 * machine.
 */
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import Docker from "dockerode";

import type { AgentEndpoint } from "../../client/index.js";
import { ConflictError, NotFoundError } from "../../errors.js";
import { checkedSocketAddress } from "../agent-socket.js";
import { withCgroupUsage } from "../cgroup-usage.js";
import { botIdOf, checkContainerIds, checkContainerSpec } from "../container-spec.js";
import { withDiskUsage } from "../disk-usage.js";
import { HostFirewall } from "../host-firewall.js";
import { ImageStoreRuntime } from "../image-methods.js";
import {
  BOT_LABEL,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  type DoctorCheck,
  type RuntimeCapabilities,
  type SnapshotInfo,
  type StopOptions,
  type TaskInfo,
} from "../runtime.js";
import { snapshotInfo } from "../snapshot-info.js";
import { hasLabels } from "../stored-spec.js";
import { stopRunningTask } from "../task-stop.js";
import { DockerBotDisk } from "./bot-disk.js";
import { BotBridge, dockerBridgeState } from "./bridge-firewall.js";
import {
  boundFolders,
  containerInfoOf,
  createdAtOf,
  createOptions,
  RUNTIME_LABEL,
  specOf,
  taskInfoOf,
} from "./container-config.js";
import { connectionOf, DaemonFeatureProbe } from "./daemon.js";
import { docker, dockerOrMissing } from "./docker-errors.js";
import { dockerDoctor } from "./doctor.js";
import { DockerImages } from "./images.js";
import { dockerBotPaths } from "./layout.js";
import { DEFAULT_BRIDGE, type DockerRuntimeOptions } from "./options.js";
import { DockerSnapshots } from "./snapshots.js";

type Inspect = Docker.ContainerInspectInfo;

export class DockerRuntime extends ImageStoreRuntime implements ContainerRuntime {
  readonly name = "docker";
  /**
   * isolated: host nftables rules per bot on the bridge (bridge-firewall.ts).
   * gvisor and diskQuota depend on the daemon: false until `detectCapabilities`
   * (or a first create) has asked it.
   */
  readonly capabilities: RuntimeCapabilities = {
    diskQuota: false,
    isolatedNetwork: true,
    gvisor: false,
    // runc puts every container in a cgroup of its own with the limits it was given.
    resourceLimits: true,
  };
  private readonly home: string;
  private readonly client: Docker;
  private readonly where: string;
  protected readonly images: DockerImages;
  private readonly snapshots: DockerSnapshots;
  private readonly bridge: BotBridge;
  private readonly firewall: HostFirewall;
  private readonly disk: DockerBotDisk;
  private readonly gvisorRuntime: string;
  private readonly features: DaemonFeatureProbe;

  constructor(options: DockerRuntimeOptions) {
    super();
    this.home = path.resolve(options.home);
    const host = options.dockerHost ?? process.env.DOCKER_HOST;
    this.client = new Docker(connectionOf(host));
    this.where = host ?? "unix:///var/run/docker.sock";
    this.images = new DockerImages(this.client, options.knownImages);
    this.snapshots = new DockerSnapshots(this.client, this.home, options.maxSnapshotLayers);
    this.bridge = new BotBridge(this.client, options.bridgeNetwork ?? DEFAULT_BRIDGE);
    this.firewall = new HostFirewall("docker", () => dockerBridgeState(this.client, this.bridge.name));
    this.disk = new DockerBotDisk(this.home);
    this.gvisorRuntime = options.gvisorRuntime ?? "runsc";
    this.features = new DaemonFeatureProbe(this.client, this.gvisorRuntime, this.capabilities);
  }

  /**
   * Asks the daemon what it offers (gVisor registered, overlay2 for the disk
   * quota) and sets `capabilities`; a daemon that does not answer leaves
   * them false and is asked again next time.
   */
  async detectCapabilities(): Promise<RuntimeCapabilities> {
    await this.features.detect();
    return this.capabilities;
  }

  doctor(): Promise<DoctorCheck[]> {
    return dockerDoctor(this.client, this.where, this.gvisorRuntime);
  }

  async deleteImage(ref: string): Promise<void> {
    const users = (await this.listContainers()).filter((container) => container.image === ref);
    if (users.length > 0) throw new ConflictError(`image ${ref} is used by ${users.map((c) => c.id).join(", ")}`);
    await this.images.delete(ref);
  }

  async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    checkContainerIds(spec.id, spec.botId, dockerBotPaths(this.home, spec.botId).socket);
    checkContainerSpec(spec);
    await this.features.refuseUnsupported(spec);
    if (await this.inspect(spec.id)) throw new ConflictError(`container ${spec.id} already exists`);
    const paths = dockerBotPaths(this.home, spec.botId);
    let imageId: string;
    if (spec.fromSnapshot) {
      imageId = (await this.snapshots.find(spec.botId, spec.fromSnapshot)).imageId;
      await this.prepareFolders(spec);
      await this.snapshots.restoreData(spec.botId, spec.fromSnapshot);
    } else {
      imageId = (await this.images.ensure(spec.image)).id;
      await this.prepareFolders(spec);
    }
    if (spec.network !== "none") await this.bridge.ensure();
    await docker(`create ${spec.id}`, () =>
      this.client.createContainer(
        createOptions({
          spec,
          imageId,
          paths,
          bridge: this.bridge.name,
          createdAt: new Date(),
          gvisorRuntime: this.gvisorRuntime,
          ...(spec.fromSnapshot ? { parentSnapshot: spec.fromSnapshot } : {}),
        }),
      ),
    );
    if (spec.limits.diskBytes) await this.disk.attachLayer(spec.botId, await this.required(spec.id), true);
    return (await this.getContainer(spec.id))!;
  }

  async getContainer(id: string): Promise<ContainerInfo | undefined> {
    const inspect = await this.inspect(id);
    return inspect && containerInfoOf(inspect.Name, inspect.Config.Labels ?? {});
  }

  async listContainers(labels: Record<string, string> = {}): Promise<ContainerInfo[]> {
    // A server (re)starting lists its bots first: from then on the firewall is kept current.
    this.firewall.keepCurrent();
    const filters = { label: [`${RUNTIME_LABEL}=docker`] };
    const listed = await docker("list containers", () =>
      this.client.listContainers({ all: true, filters: JSON.stringify(filters) }),
    );
    // Matched on the spec's own labels: a container made from a snapshot also
    // carries the labels its image inherited from older containers.
    return listed
      .flatMap((container) => containerInfoOf(container.Names[0] ?? "", container.Labels) ?? [])
      .filter((info) => hasLabels(info, labels));
  }

  async deleteContainer(id: string, options: { keepData?: boolean } = {}): Promise<void> {
    const inspect = await this.required(id);
    if (inspect.State.Running) throw new ConflictError(`container ${id} has a running task: stop it first`);
    const botId = specOf(inspect)!.botId;
    await this.disk.detachLayer(inspect);
    await docker(`remove ${id}`, () => this.client.getContainer(inspect.Id).remove({ v: true }));
    await this.firewall.sync();
    await this.images.removeIfUnused(inspect.Image);
    const paths = dockerBotPaths(this.home, botId);
    // The quota image stays with keepData (disk.img, unmounted); a new container mounts it again.
    await this.disk.unmountAll(botId);
    if (options.keepData) {
      await rm(paths.run, { recursive: true, force: true });
      return;
    }
    await this.snapshots.deleteAll(botId);
    await rm(paths.root, { recursive: true, force: true });
  }

  /**
   * What `deleteContainer({ keepData: true })` left of a bot deleted for
   * good: its /data (a folder, or its quota image), its snapshots' copies of
   * /data and their committed images. A new bot with the same id starts empty.
   */
  async discardKeptData(botId: string): Promise<void> {
    const kept = await this.listContainers({ [BOT_LABEL]: botId });
    if (kept.length > 0) throw new ConflictError(`bot ${botId} still has container ${kept[0]!.id}: delete it first`);
    await this.disk.unmountAll(botId);
    await this.snapshots.deleteAll(botId);
    await rm(dockerBotPaths(this.home, botId).root, { recursive: true, force: true });
  }

  async startTask(id: string): Promise<TaskInfo> {
    const inspect = await this.required(id);
    if (inspect.State.Running) throw new ConflictError(`task of ${id} is already running`);
    const spec = specOf(inspect)!;
    const botId = spec.botId;
    await this.prepareFolders(spec);
    // After a reboot the binds are gone: the layer's content is on the image, put it back in place.
    if (spec.limits.diskBytes) await this.disk.attachLayer(botId, inspect, false);
    await rm(dockerBotPaths(this.home, botId).socket, { force: true });
    const bridged = specOf(inspect)!.network !== "none";
    // The bridge's table first: until the bot's own rules are in, its address is refused everything.
    if (bridged) await this.firewall.sync();
    await docker(`start ${id}`, () => this.client.getContainer(inspect.Id).start());
    if (bridged) {
      this.firewall.keepCurrent();
      await this.firewall.sync().catch(async (error: unknown) => {
        await this.kill(this.client.getContainer(inspect.Id), "SIGKILL");
        await this.waitForExit(id, 5_000);
        throw error;
      });
    }
    return this.taskInfo(id);
  }

  async stopTask(id: string, options: StopOptions = {}): Promise<TaskInfo> {
    const inspect = await this.required(id);
    if (inspect.State.Running) {
      const container = this.client.getContainer(inspect.Id);
      await stopRunningTask(
        id,
        { signal: (signal) => this.kill(container, signal), waitForExit: (ms) => this.waitForExit(id, ms) },
        options,
      );
    }
    // Its address goes back to the pool: its rules must not pass to the next bot given it.
    if (specOf(inspect)!.network !== "none") await this.firewall.sync();
    return this.taskInfo(id);
  }

  async taskInfo(id: string): Promise<TaskInfo> {
    const inspect = await this.required(id);
    // The container's cgroup, found from its init's pid: cheaper than the daemon's stats API (docs/runtimes.md).
    const spec = specOf(inspect);
    const usage = await withCgroupUsage(taskInfoOf(inspect), { gvisor: spec?.isolation === "gvisor" });
    return withDiskUsage(usage, spec?.limits.diskBytes ? this.disk.mountPoint(spec.botId) : undefined);
  }

  async agentEndpoint(id: string): Promise<AgentEndpoint | undefined> {
    const inspect = await this.required(id);
    if (!inspect.State.Running) return undefined;
    const spec = specOf(inspect)!;
    // A fixed path per bot: it survives restarts of the task and of the server.
    return {
      address: await checkedSocketAddress(dockerBotPaths(this.home, spec.botId).socket),
      token: spec.agentToken,
    };
  }

  async agentRunFolder(id: string): Promise<string> {
    return dockerBotPaths(this.home, specOf(await this.required(id))!.botId).run;
  }

  async commitSnapshot(id: string, name: string): Promise<SnapshotInfo> {
    const inspect = await this.stopped(id);
    const parent = containerInfoOf(inspect.Name, inspect.Config.Labels ?? {})?.parentSnapshot;
    const snapshot = await this.snapshots.commit(inspect.Id, specOf(inspect)!.botId, name, parent);
    await this.recreate(inspect, snapshot.imageId, name);
    return snapshotInfo({ ...snapshot, parent });
  }

  async listSnapshots(id: string): Promise<SnapshotInfo[]> {
    const spec = specOf(await this.required(id))!;
    return (await this.snapshots.list(spec.botId)).map(snapshotInfo);
  }

  async restoreSnapshot(id: string, name: string): Promise<void> {
    const inspect = await this.stopped(id);
    const botId = specOf(inspect)!.botId;
    const snapshot = await this.snapshots.find(botId, name);
    await this.snapshots.restoreData(botId, name);
    await this.recreate(inspect, snapshot.imageId, name);
  }

  async deleteSnapshot(id: string, name: string): Promise<void> {
    await this.snapshots.delete(specOf(await this.required(id))!.botId, name);
  }

  /**
   * Recreates a container on the image its ref names now, e.g. after the
   * agent image was rebuilt (the original deleted such containers and their
   * writable layers). /data, snapshots, spec and token are kept; the old container
   * layer (/app, /root, installed packages) is not: Docker cannot move a layer
   * onto another image. A running task is stopped and started again. False
   * when the container already runs on that image.
   */
  async upgradeContainer(id: string): Promise<boolean> {
    const inspect = await this.required(id);
    const spec = specOf(inspect)!;
    const image = await this.images.ensure(spec.image);
    if (inspect.Image === image.id) return false;
    const wasRunning = inspect.State.Running;
    if (wasRunning) await this.stopTask(id);
    await this.recreate(inspect, image.id, undefined);
    if (wasRunning) await this.startTask(id);
    return true;
  }

  async close(): Promise<void> {
    // Containers run in the daemon, and API calls hold no connection open; the firewall's table stays.
    this.firewall.close();
  }

  /** A new container with the same spec on another image; /data stays where it is. */
  private async recreate(old: Inspect, imageId: string, parentSnapshot: string | undefined): Promise<void> {
    const spec = specOf(old)!;
    await this.disk.detachLayer(old);
    await docker(`remove ${spec.id}`, () => this.client.getContainer(old.Id).remove({ v: true }));
    await docker(`create ${spec.id}`, () =>
      this.client.createContainer(
        createOptions({
          spec,
          imageId,
          // The folders it had, even if this runtime's home is another (recreate-bots.ts).
          paths: boundFolders(old) ?? dockerBotPaths(this.home, spec.botId),
          bridge: this.bridge.name,
          createdAt: createdAtOf(old),
          gvisorRuntime: this.gvisorRuntime,
          ...(parentSnapshot ? { parentSnapshot } : {}),
        }),
      ),
    );
    // A fresh layer: what the old one held is in the committed image now (or dropped by an upgrade).
    if (spec.limits.diskBytes) await this.disk.attachLayer(spec.botId, await this.required(spec.id), true);
    if (old.Image !== imageId) await this.images.removeIfUnused(old.Image);
  }

  private async prepareFolders(spec: ContainerSpec): Promise<void> {
    const paths = dockerBotPaths(this.home, spec.botId);
    await mkdir(path.dirname(paths.root), { recursive: true, mode: 0o711 });
    await mkdir(paths.root, { recursive: true, mode: 0o700 });
    // The container's root is host root (no userns-remap): it reaches both.
    await mkdir(paths.run, { recursive: true, mode: 0o700 });
    await mkdir(paths.data, { recursive: true, mode: 0o755 });
    if (spec.limits.diskBytes) await this.disk.mount(spec.botId, spec.limits.diskBytes);
  }

  private async inspect(id: string): Promise<Inspect | undefined> {
    if (botIdOf(id) === undefined) return undefined;
    const inspect = await dockerOrMissing(`inspect ${id}`, () => this.client.getContainer(id).inspect());
    return inspect && specOf(inspect) ? inspect : undefined;
  }

  private async required(id: string): Promise<Inspect> {
    const inspect = await this.inspect(id);
    if (!inspect) throw new NotFoundError(`container ${JSON.stringify(id)} not found`);
    return inspect;
  }

  private async stopped(id: string): Promise<Inspect> {
    const inspect = await this.required(id);
    if (inspect.State.Running) throw new ConflictError(`task of ${id} is running: stop it first`);
    return inspect;
  }

  private async kill(container: Docker.Container, signal: NodeJS.Signals): Promise<void> {
    await container.kill({ signal }).catch((error: { statusCode?: number }) => {
      // 409: it is not running any more.
      if (error.statusCode !== 409 && error.statusCode !== 404) throw error;
    });
  }

  private async waitForExit(id: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.inspect(id))?.State.Running) {
      if (Date.now() >= deadline) return false;
      await sleep(25);
    }
    return true;
  }
}
