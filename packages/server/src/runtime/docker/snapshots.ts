/**
 * Snapshots on Docker: what "writable state" means here. A bot's state is two
 * parts: its container layer (/app, /root, /home, /tmp, installed packages),
 * committed as an image `botbox-snapshot:<key>`, and its /data bind mount,
 * copied (reflinks where the filesystem has them) to
 * `bots/<botId>/snapshots/<key>/data`. A restore recreates the container from
 * the committed image with the same spec and puts the copy of /data back.
 * Each commit adds one layer to the image chain; overlay2 allows 125 or so.
 */
import { execFile } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import type Docker from "dockerode";

import { ConflictError, NotFoundError } from "../../errors.js";
import type { SnapshotInfo } from "../runtime.js";
import { docker } from "./docker-errors.js";
import { SNAPSHOT_REPO } from "./images.js";
import { dockerBotPaths, snapshotDataDir, snapshotKey } from "./layout.js";

const run = promisify(execFile);

const BOT = "org.botbox.snapshot.bot";
const NAME = "org.botbox.snapshot.name";
const PARENT = "org.botbox.snapshot.parent";
const CREATED = "org.botbox.snapshot.created";

export interface StoredSnapshot extends SnapshotInfo {
  /** The committed image's id. */
  imageId: string;
}

export class DockerSnapshots {
  constructor(
    private readonly client: Docker,
    private readonly home: string,
  ) {}

  async list(botId: string): Promise<StoredSnapshot[]> {
    const images = await docker("list snapshots", () =>
      this.client.listImages({ filters: JSON.stringify({ label: [`${BOT}=${botId}`] }) }),
    );
    // An untagged snapshot image is a deleted snapshot a container still runs on.
    return images
      .filter((image) => (image.RepoTags ?? []).some((tag) => tag.startsWith(`${SNAPSHOT_REPO}:`)))
      .map((image) => {
        const labels = image.Labels ?? {};
        const parent = labels[PARENT];
        return {
          name: labels[NAME] ?? "",
          imageId: image.Id,
          createdAt: new Date(labels[CREATED] ?? image.Created * 1000),
          ...(parent ? { parent } : {}),
        };
      })
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async find(botId: string, name: string): Promise<StoredSnapshot> {
    const found = (await this.list(botId)).find((snapshot) => snapshot.name === name);
    if (!found) throw new NotFoundError(`snapshot ${JSON.stringify(name)} not found for bot ${botId}`);
    return found;
  }

  /** Commits a stopped container and copies its /data; the caller recreates the container on it. */
  async commit(containerId: string, botId: string, name: string, parent?: string): Promise<StoredSnapshot> {
    if ((await this.list(botId)).some((snapshot) => snapshot.name === name))
      throw new ConflictError(`snapshot ${JSON.stringify(name)} already exists for bot ${botId}`);
    const dataCopy = snapshotDataDir(this.home, botId, name);
    await rm(path.dirname(dataCopy), { recursive: true, force: true });
    await copyFolder(dockerBotPaths(this.home, botId).data, dataCopy);
    const createdAt = new Date();
    try {
      await docker(`commit ${containerId}`, () =>
        this.client.getContainer(containerId).commit({
          repo: SNAPSHOT_REPO,
          tag: snapshotKey(botId, name),
          comment: `botbox snapshot ${name} of bot ${botId}`,
          pause: false,
          // Body: merged over the container's config by the daemon.
          Labels: { [BOT]: botId, [NAME]: name, [PARENT]: parent ?? "", [CREATED]: createdAt.toISOString() },
        }),
      );
    } catch (error) {
      await rm(path.dirname(dataCopy), { recursive: true, force: true });
      throw error;
    }
    return this.find(botId, name);
  }

  /** Puts the snapshot's copy of /data in place of the bot's current /data. */
  async restoreData(botId: string, name: string): Promise<void> {
    const data = dockerBotPaths(this.home, botId).data;
    await rm(data, { recursive: true, force: true });
    await copyFolder(snapshotDataDir(this.home, botId, name), data);
  }

  async delete(botId: string, name: string): Promise<void> {
    await this.find(botId, name);
    // force: a container may still run on it; the untagged image then goes with that container.
    await docker(`remove snapshot ${name}`, () =>
      this.client.getImage(`${SNAPSHOT_REPO}:${snapshotKey(botId, name)}`).remove({ force: true, noprune: true }),
    );
    await rm(path.dirname(snapshotDataDir(this.home, botId, name)), { recursive: true, force: true });
  }

  async deleteAll(botId: string): Promise<void> {
    for (const snapshot of (await this.list(botId)).reverse())
      await this.client
        .getImage(`${SNAPSHOT_REPO}:${snapshotKey(botId, snapshot.name)}`)
        .remove({ force: true })
        .catch(() => {});
  }
}

async function copyFolder(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o755 });
  await run("cp", ["-a", "--reflink=auto", `${from}/.`, to]);
}
