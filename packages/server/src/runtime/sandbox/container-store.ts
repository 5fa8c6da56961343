/**
 * Container records: `<home>/bots/<botId>/container.json` plus the bot's
 * folder. When the server is root the folder is root:<bot gid> 0710: the bot's
 * own uid may pass through it to its state (bwrap runs as that uid), other
 * bots may not even list it, and only root can touch the records in it.
 *
 * A delete first unmounts whatever a crash may have left mounted in the
 * folder, then renames it to `bots/.deleting-<botId>-<random>` (the one step
 * that makes the container gone), empties it and releases the host identity
 * named by the owner.json it keeps to the end. A crash in between leaves that
 * folder, which the next listing finishes deleting.
 */
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";

import { ConflictError } from "../../errors.js";
import { BOT_LABEL, type ContainerInfo, type ContainerSpec } from "../runtime.js";
import { containerInfoFrom } from "../stored-spec.js";
import { claimHostIdentity, type HostIdentity, releaseHostIdentity, runningAsRoot } from "./host-ids.js";
import { isErrno, readJsonFile, writeJsonFile } from "./json-file.js";
import { botPaths } from "./layout.js";
import { crashPoint } from "./state/crash-point.js";
import { syncFolder } from "./state/durable-file.js";
import { unmountAllUnder } from "./state/mounts.js";

const DELETING = ".deleting-";

export interface ContainerRecord {
  spec: ContainerSpec;
  createdAt: string;
  identity: HostIdentity;
}

export class ContainerStore {
  private deletesFinished?: Promise<void>;

  constructor(private readonly home: string) {}

  async get(botId: string): Promise<ContainerRecord | undefined> {
    return readJsonFile<ContainerRecord>(botPaths(this.home, botId).record);
  }

  async list(): Promise<ContainerRecord[]> {
    // Once per process (the server lists its containers at start-up): deletes a crash interrupted.
    this.deletesFinished ??= this.finishDeletes().catch(() => {
      this.deletesFinished = undefined;
    });
    await this.deletesFinished;
    const records: ContainerRecord[] = [];
    for (const botId of await readdir(path.join(this.home, "bots")).catch(() => [])) {
      if (botId.startsWith(DELETING)) continue;
      const record = await this.get(botId);
      if (record) records.push(record);
    }
    return records;
  }

  /** Makes the bot's folder (or adopts a kept one) and its identity; the record is written by `save`. */
  async prepare(spec: ContainerSpec): Promise<HostIdentity> {
    const paths = botPaths(this.home, spec.botId);
    if (await this.get(spec.botId)) throw new ConflictError(`container ${spec.id} already exists`);
    const bots = path.dirname(paths.root);
    await mkdir(bots, { recursive: true, mode: 0o711 });
    await mkdir(paths.root, { recursive: true, mode: 0o700 });
    const identity = await claimHostIdentity(this.home, spec.botId, paths.owner);
    if (runningAsRoot()) {
      // Bots run as other uids: they must be able to walk down to their own folder.
      await chmod(this.home, 0o711);
      await chmod(bots, 0o711);
      await chown(paths.root, 0, identity.gid);
      await chmod(paths.root, 0o710);
    }
    for (const folder of [paths.run, paths.etc]) await mkdir(folder, { recursive: true, mode: 0o755 });
    await this.secureRunDir({ spec, identity });
    return identity;
  }

  /**
   * The agent creates its socket in run/. As root: root's, writable by the
   * bot's group, sticky, so the socket the host takes over cannot be
   * replaced (sandbox-runtime.ts, claimAgentSocket). Applied at each start,
   * so folders made before this rule get it too. A restarted agent does not
   * need to replace it: the workspace's init holds the bound socket and hands
   * it to each agent (docs/processes.md).
   */
  async secureRunDir(record: Pick<ContainerRecord, "spec" | "identity">): Promise<void> {
    const paths = botPaths(this.home, record.spec.botId);
    if (runningAsRoot()) {
      await chown(paths.run, 0, record.identity.gid);
      await chmod(paths.run, 0o1770);
    } else {
      await chown(paths.run, record.identity.uid, record.identity.gid);
      await chmod(paths.run, 0o700);
    }
  }

  async save(record: ContainerRecord): Promise<void> {
    await writeJsonFile(botPaths(this.home, record.spec.botId).record, record);
  }

  /** Everything left of a bot without a container (its kept data) goes, its host identity too. */
  async discard(botId: string): Promise<void> {
    await this.deleteFolder(botId);
  }

  /** Drops the record and task files; the whole folder and identity too unless the data is kept. */
  async remove(record: ContainerRecord, keepData: boolean): Promise<void> {
    const paths = botPaths(this.home, record.spec.botId);
    if (!keepData) {
      await this.deleteFolder(record.spec.botId, record.identity);
      return;
    }
    // The record first: once it is gone the container is, whatever else a crash leaves.
    await rm(paths.record, { force: true });
    // Unmounted before the rm, which would otherwise delete the kept files through the mount.
    await unmountAllUnder(paths.merged);
    for (const leftover of [paths.task, paths.status, paths.log, paths.run, paths.etc, paths.merged])
      await rm(leftover, { recursive: true, force: true });
  }

  private async deleteFolder(botId: string, identity?: HostIdentity): Promise<void> {
    const paths = botPaths(this.home, botId);
    await unmountAllUnder(paths.root);
    const trash = path.join(path.dirname(paths.root), `${DELETING}${botId}-${randomBytes(4).toString("hex")}`);
    try {
      await rename(paths.root, trash);
    } catch (error) {
      if (!isErrno(error, "ENOENT")) throw error;
      if (identity) await releaseHostIdentity(this.home, identity);
      return;
    }
    await syncFolder(path.dirname(paths.root));
    crashPoint("container-delete:renamed");
    await this.finishDelete(trash, identity);
  }

  /** Empties a folder being deleted, then releases the identity its owner.json names. */
  private async finishDelete(trash: string, identity?: HostIdentity): Promise<void> {
    await unmountAllUnder(trash);
    for (const entry of await readdir(trash).catch(() => [])) {
      if (entry !== "owner.json") await rm(path.join(trash, entry), { recursive: true, force: true });
    }
    crashPoint("container-delete:emptied");
    const owner = (await readJsonFile<HostIdentity>(path.join(trash, "owner.json"))) ?? identity;
    if (owner) await releaseHostIdentity(this.home, owner);
    await rm(trash, { recursive: true, force: true });
  }

  private async finishDeletes(): Promise<void> {
    const bots = path.join(this.home, "bots");
    for (const entry of await readdir(bots).catch(() => [])) {
      if (entry.startsWith(DELETING)) await this.finishDelete(path.join(bots, entry));
    }
  }
}

/** The runtime contract's view of a record, as the container backends give theirs. */
export function containerInfo(record: ContainerRecord, parentSnapshot: string | undefined): ContainerInfo {
  const { spec } = record;
  return containerInfoFrom(spec.id, spec.botId, { ...spec, createdAt: record.createdAt }, parentSnapshot);
}

/** Every container carries its bot id as a label. */
export function withBotLabel(spec: ContainerSpec): ContainerSpec {
  return { ...spec, labels: { ...spec.labels, [BOT_LABEL]: spec.botId } };
}
