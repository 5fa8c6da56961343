/** Images through the daemon: load, inspect, list, tag and remove. */
import { createReadStream, existsSync } from "node:fs";

import type Docker from "dockerode";

import { NotFoundError } from "../../errors.js";
import type { ImageInfo } from "../runtime.js";
import { docker, dockerOrMissing } from "./docker-errors.js";
import { loadableArchive } from "./image-archive.js";

/** Where snapshots are committed; such images are the bots', not the user's. */
export const SNAPSHOT_REPO = "botbox-snapshot";

export class DockerImages {
  /** `known`: image tars loaded on first use when the daemon lacks their ref (the built agent image). */
  constructor(
    private readonly client: Docker,
    private readonly known: Record<string, string> = {},
  ) {}

  async ensure(ref: string): Promise<ImageInfo> {
    const inspect = await dockerOrMissing(`inspect image ${ref}`, () => this.client.getImage(ref).inspect());
    if (inspect) return { ref, id: inspect.Id, createdAt: new Date(inspect.Created) };
    const tar = this.known[ref];
    if (tar && existsSync(tar)) return this.import(ref, tar);
    throw new NotFoundError(
      `image ${ref} not found in Docker: ${tar ? `build it with images/build-agent-image.sh (it writes ${tar})` : "docker load or pull it first"}`,
    );
  }

  async list(): Promise<ImageInfo[]> {
    const images = await docker("list images", () => this.client.listImages());
    return images.flatMap((image) =>
      (image.RepoTags ?? [])
        .filter((tag) => tag !== "<none>:<none>" && !tag.startsWith(`${SNAPSHOT_REPO}:`))
        .map((ref) => ({ ref, id: image.Id, createdAt: new Date(image.Created * 1000) })),
    );
  }

  async import(ref: string, tarPath: string): Promise<ImageInfo> {
    const archive = await loadableArchive(tarPath);
    try {
      // docker load moves the archive's own tags onto what it loads; the
      // caller asked for `ref` only, so each of them goes back to the image
      // it named before (a running bot's image among them), or away if new.
      const before = new Map<string, string | undefined>();
      for (const name of archive.tags) if (name !== ref) before.set(name, await this.idOf(name));
      const loaded = await this.load(archive.path);
      const [first] = loaded;
      if (!first) throw new NotFoundError(`docker load of ${tarPath} named no image`);
      await this.tag(first, ref);
      for (const name of loaded) {
        if (name === ref || name.startsWith("sha256:")) continue;
        const previous = before.get(name);
        if (previous) await this.tag(previous, name);
        else await this.untag(name);
      }
      return await this.ensure(ref);
    } finally {
      await archive.dispose();
    }
  }

  async delete(ref: string): Promise<void> {
    await docker(`remove image ${ref}`, () => this.client.getImage(ref).remove());
  }

  /** Removes an image nothing refers to any more (a container's untagged base); errors are ignored. */
  async removeIfUnused(id: string): Promise<void> {
    const inspect = await this.client
      .getImage(id)
      .inspect()
      .catch(() => undefined);
    if (inspect && (inspect.RepoTags ?? []).length === 0)
      await this.client
        .getImage(id)
        .remove()
        .catch(() => {});
  }

  private async idOf(name: string): Promise<string | undefined> {
    const inspect = await this.client
      .getImage(name)
      .inspect()
      .catch(() => undefined);
    return inspect?.Id;
  }

  async tag(image: string, ref: string): Promise<void> {
    const [repo, tag] = splitRef(ref);
    await docker(`tag ${image} as ${ref}`, () => this.client.getImage(image).tag({ repo, tag }));
  }

  async untag(ref: string): Promise<void> {
    await docker(`untag ${ref}`, () => this.client.getImage(ref).remove({ noprune: true }));
  }

  /** `docker load`; the names (tags, or image ids) it reports. */
  private async load(tarPath: string): Promise<string[]> {
    const stream = await docker(`load ${tarPath}`, () =>
      this.client.loadImage(createReadStream(tarPath), { quiet: true }),
    );
    const events = await docker(
      `load ${tarPath}`,
      () =>
        new Promise<{ stream?: string; error?: string }[]>((resolve, reject) =>
          this.client.modem.followProgress(stream, (error: Error | null, output: { stream?: string }[]) =>
            error ? reject(error) : resolve(output),
          ),
        ),
    );
    const failed = events.find((event) => event.error);
    if (failed) throw new NotFoundError(`docker load of ${tarPath} failed: ${failed.error}`);
    return events.flatMap((event) => {
      const match = /^Loaded image(?: ID)?: (\S+)/.exec(event.stream ?? "");
      return match ? [match[1]!] : [];
    });
  }
}

/** `repo[:tag]`: the tag is after the last colon that follows the last slash. */
export function splitRef(ref: string): [string, string] {
  const colon = ref.lastIndexOf(":");
  return colon > ref.lastIndexOf("/") ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, "latest"];
}
