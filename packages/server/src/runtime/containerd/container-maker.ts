/**
 * Makes a bot's containerd container: its folders, disk image, id range,
 * writable layer (an existing one is taken over, never deleted), image user
 * and OCI spec, and the record in containerd. ContainerdRuntime creates and
 * upgrades through it; its tasks start on `rootfs`.
 */
import type { Container } from "../../gen/containerd/github.com/containerd/containerd/api/services/containers/v1/containers.js";
import { isDefaultEgress, normaliseEgress } from "../egress.js";
import type { ContainerSpec } from "../runtime.js";
import type { ContainerdApi } from "./api.js";
import type { ContainerdBotDisk } from "./bot-disk.js";
import { prepareBotFolders } from "./bot-folders.js";
import { recordLabels, type StoredSpec } from "./container-record.js";
import { runscShimOptions, runscWrapper } from "./gvisor.js";
import { claimIdRange, type IdRange, withMetacopy } from "./id-range.js";
import { needsAccountFiles, type ProcessUser, readAccountFiles, resolveUser } from "./image-user.js";
import type { ContainerdImages } from "./images.js";
import { activeSnapshotKey, botPaths } from "./layout.js";
import type { BotNetwork } from "./network.js";
import { type ChannelMode, ociSpec, SPEC_TYPE_URL } from "./oci-spec.js";
import type { ShiftedBases } from "./shifted-base.js";
import type { BotSnapshots } from "./snapshots.js";
import { writableLayerFor } from "./writable-layer.js";

/** What the maker works with: the runtime's own parts and hardening settings. */
export interface ContainerMakerParts {
  home: string;
  api: ContainerdApi;
  snapshotter: string;
  images: ContainerdImages;
  snapshots: BotSnapshots;
  shiftedBases: ShiftedBases;
  disk: ContainerdBotDisk;
  network: BotNetwork;
  runsc: string | undefined;
  userNamespaces: boolean;
  seccomp: boolean;
  noNewPrivileges: boolean;
}

export class ContainerMaker {
  constructor(private readonly parts: ContainerMakerParts) {}

  /** A container record for a checked spec, with its writable layer (an existing one is never deleted). */
  async make(spec: ContainerSpec, options: { channel: ChannelMode; createdAt: string }): Promise<void> {
    const paths = botPaths(this.parts.home, spec.botId);
    const image = await this.parts.images.runnable(spec.image);
    const snapshot = spec.fromSnapshot ? await this.parts.snapshots.find(spec.botId, spec.fromSnapshot) : undefined;
    await prepareBotFolders(this.parts.home, spec.botId);
    // Before any copy into /data (a restore) or commit of a kept layer: both go through the image.
    // A kept layer on the image is put back in the snapshotter's folder first, so that writable-layer.ts
    // sees what it holds; a bot made again without a quota gets its files back on the host.
    const kept = (await this.parts.snapshots.stat(activeSnapshotKey(spec.id)))
      ? await this.parts.snapshots.mounts(spec.id)
      : undefined;
    if (spec.limits.diskBytes !== undefined) {
      await this.parts.disk.mount(spec.botId, spec.limits.diskBytes);
      if (kept) await this.parts.disk.flush(spec.botId, kept);
    } else await this.parts.disk.release(spec.botId, kept);
    // gVisor bots are not remapped: runsc's gofer would open the bound folders from inside the user
    // namespace, through botbox's root-only home; the Sentry already runs in an empty user namespace.
    const idRange =
      this.parts.userNamespaces && spec.isolation !== "gvisor" ? await claimIdRange(paths.idRange) : undefined;
    // The image's files belong to host root: a remapped bot's layer sits on a copy shifted into its
    // range (shifted-base.ts). The bot's own snapshots are in its range already.
    // A kept layer is reused only on this base: one made without the range (a gVisor bot's, or from
    // before remapping) would hold files the bot's root cannot touch, so it is recovered as a snapshot.
    const base = idRange ? await this.parts.shiftedBases.ensure(image.topSnapshot, idRange) : image.topSnapshot;
    const parent = snapshot?.key ?? base;
    const layer = await writableLayerFor(this.parts.snapshots, spec, parent, base);
    if (spec.fromSnapshot) await this.parts.snapshots.restoreData(spec.botId, spec.fromSnapshot);
    const parentSnapshot = spec.fromSnapshot ?? layer.parentSnapshot;
    const stored: StoredSpec = {
      image: spec.image,
      labels: spec.labels,
      env: spec.env,
      network: spec.network,
      ...(spec.network === "isolated" && !isDefaultEgress(spec.egress)
        ? { egress: normaliseEgress(spec.egress!) }
        : {}),
      limits: spec.limits,
      ...(spec.isolation === "gvisor" ? { isolation: "gvisor" as const } : {}),
      ...(idRange ? { idRange } : {}),
      createdAt: options.createdAt,
      imageId: image.info.id,
      channel: options.channel,
      run: paths.run,
      data: paths.data,
    };
    let user: ProcessUser;
    try {
      user = await this.imageUser(spec, image.config.config?.User, idRange);
    } catch (error) {
      if (layer.fresh) await this.parts.snapshots.removeActive(spec.id).catch(() => {});
      throw error;
    }
    const oci = ociSpec({
      spec,
      image: image.config,
      paths,
      channel: options.channel,
      user,
      ...(spec.network !== "none" ? { netnsPath: this.parts.network.netnsPath(spec.botId) } : {}),
      ...(idRange ? { idRange } : {}),
      seccomp: this.parts.seccomp,
      noNewPrivileges: this.parts.noNewPrivileges,
    });
    const container: Container = {
      id: spec.id,
      labels: recordLabels(spec, stored, parentSnapshot),
      image: spec.image,
      runtime: {
        name: "io.containerd.runc.v2",
        options:
          spec.isolation === "gvisor"
            ? runscShimOptions(await runscWrapper(this.parts.home, this.parts.runsc!))
            : undefined,
      },
      spec: { typeUrl: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(oci)) },
      snapshotter: this.parts.snapshotter,
      snapshotKey: activeSnapshotKey(spec.id),
      createdAt: undefined,
      updatedAt: undefined,
      extensions: {},
    };
    try {
      await this.parts.api.call(`create container ${spec.id}`, (md, options, done) =>
        this.parts.api.containers.create({ container }, md, options, done),
      );
    } catch (error) {
      if (layer.fresh) await this.parts.snapshots.removeActive(spec.id).catch(() => {});
      throw error;
    }
  }

  /** The image's `User` against the container's own root filesystem, as containerd's `WithUser` does. */
  private async imageUser(spec: ContainerSpec, user: string | undefined, idRange?: IdRange): Promise<ProcessUser> {
    const files = needsAccountFiles(user)
      ? await readAccountFiles(await this.rootfs(spec.id, spec.botId, idRange, spec.limits.diskBytes))
      : {};
    return resolveUser(user, files);
  }

  /**
   * The writable snapshot's mounts; a remapped layer's need metacopy
   * (id-range.ts); with a disk quota its upper and work folders are on the
   * bot's image (bot-disk.ts).
   */
  async rootfs(id: string, botId: string, idRange: IdRange | undefined, diskBytes: number | undefined) {
    let mounts = await this.parts.snapshots.mounts(id);
    if (diskBytes !== undefined) mounts = await this.parts.disk.layerMounts(botId, mounts);
    return idRange ? withMetacopy(mounts) : mounts;
  }
}
