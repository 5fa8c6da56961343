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
import { SNAPSHOT_LABELS } from "../snapshot-info.js";
import { emptyFolder } from "./bot-disk.js";
import { docker } from "./docker-errors.js";
import { SNAPSHOT_REPO } from "./images.js";
import { dockerBotPaths, snapshotDataDir, snapshotKey } from "./layout.js";

const run = promisify(execFile);

const { bot: BOT, name: NAME, parent: PARENT, created: CREATED } = SNAPSHOT_LABELS;

export interface StoredSnapshot extends SnapshotInfo {
  /** The committed image's id. */
  imageId: string;
}

/** Layers an image may have before a commit is flattened; overlay2's own limit is 128. */
export const DEFAULT_MAX_SNAPSHOT_LAYERS = 100;

/** The agent's variables (agentEnv): the container gets them at create, the image must not keep them. */
const CONTAINER_ONLY_ENV = /^(BOTBOX_AGENT_TOKEN|BOTBOX_BOT_ID|BOTBOX_DATA_DIR|BOTBOX_TEMPLATE_DIR|MCP_LISTEN_ADDR)=/;

export class DockerSnapshots {
  constructor(
    private readonly client: Docker,
    private readonly home: string,
    private readonly maxLayers = DEFAULT_MAX_SNAPSHOT_LAYERS,
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
          // Body: merged over the container's config by the daemon. The agent's
          // token is blanked: the container is given it at create, and an image
          // must not carry it (images are listed, exported and shared).
          Env: ["BOTBOX_AGENT_TOKEN="],
          Labels: { [BOT]: botId, [NAME]: name, [PARENT]: parent ?? "", [CREATED]: createdAt.toISOString() },
        }),
      );
      await this.flattenIfDeep(containerId, botId, name);
    } catch (error) {
      await this.client
        .getImage(`${SNAPSHOT_REPO}:${snapshotKey(botId, name)}`)
        .remove({ force: true })
        .catch(() => {});
      await rm(path.dirname(dataCopy), { recursive: true, force: true });
      throw error;
    }
    return this.find(botId, name);
  }

  /**
   * Replaces the snapshot's image by a one-layer image of the same stopped
   * container's filesystem (its bind mounts, /data and /run/botbox, are not
   * part of it) when the committed image has more than `maxLayers` layers.
   */
  private async flattenIfDeep(containerId: string, botId: string, name: string): Promise<void> {
    const ref = `${SNAPSHOT_REPO}:${snapshotKey(botId, name)}`;
    const committed = await docker(`inspect ${ref}`, () => this.client.getImage(ref).inspect());
    if ((committed.RootFS?.Layers?.length ?? 0) <= this.maxLayers) return;
    const filesystem = await docker(`export ${containerId}`, () => this.client.getContainer(containerId).export());
    const progress = await docker(`import ${ref}`, () =>
      this.client.importImage(filesystem, {
        repo: SNAPSHOT_REPO,
        tag: snapshotKey(botId, name),
        message: `botbox snapshot ${name} of bot ${botId}, flattened`,
        changes: dockerfileChanges(committed.Config),
      }),
    );
    const events = await docker(
      `import ${ref}`,
      () =>
        new Promise<{ error?: string }[]>((resolve, reject) =>
          this.client.modem.followProgress(progress, (error: Error | null, output: { error?: string }[]) =>
            error ? reject(error) : resolve(output),
          ),
        ),
    );
    const failed = events.find((event) => event.error);
    if (failed) throw new ConflictError(`flattening snapshot ${name} of bot ${botId} failed: ${failed.error}`);
    // The layered commit lost its tag to the flat image; nothing runs on it.
    await this.client
      .getImage(committed.Id)
      .remove()
      .catch(() => {});
  }

  /** Puts the snapshot's copy of /data in place of the bot's current /data. */
  async restoreData(botId: string, name: string): Promise<void> {
    const data = dockerBotPaths(this.home, botId).data;
    // Emptied, not removed: under a disk quota it is a mount point (bot-disk.ts).
    await emptyFolder(data);
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

/** The image config a flattened image keeps, as the Dockerfile lines `docker import --change` takes. */
export function dockerfileChanges(config: Docker.ImageInspectInfo["Config"]): string[] {
  const changes: string[] = [];
  // Double-quoted words of a Dockerfile; $ would be substituted.
  const quoted = (value: string) => JSON.stringify(value).replace(/\$/g, "\\$");
  for (const entry of config.Env ?? []) {
    if (CONTAINER_ONLY_ENV.test(entry)) continue;
    const split = entry.indexOf("=");
    if (split > 0) changes.push(`ENV ${entry.slice(0, split)}=${quoted(entry.slice(split + 1))}`);
  }
  for (const [key, value] of Object.entries(config.Labels ?? {})) changes.push(`LABEL ${quoted(key)}=${quoted(value)}`);
  if (config.Entrypoint) {
    const words = Array.isArray(config.Entrypoint) ? config.Entrypoint : [config.Entrypoint];
    changes.push(`ENTRYPOINT ${JSON.stringify(words)}`);
  }
  if (config.Cmd?.length) changes.push(`CMD ${JSON.stringify(config.Cmd)}`);
  if (config.WorkingDir) changes.push(`WORKDIR ${config.WorkingDir}`);
  if (config.User) changes.push(`USER ${config.User}`);
  for (const port of Object.keys(config.ExposedPorts ?? {})) changes.push(`EXPOSE ${port}`);
  return changes;
}

async function copyFolder(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o755 });
  await run("cp", ["-a", "--reflink=auto", `${from}/.`, to]);
}
