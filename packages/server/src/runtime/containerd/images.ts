/**
 * Images in containerd: import (client-side, see content-store.ts), lookup
 * with the original's fallbacks (docs/reference.md#image-ref), list, delete, and what a container needs
 * from one: its config and the snapshot of its top layer, unpacked on demand.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";

import { normalizeImageRef } from "../../config/index.js";
import { ConflictError, NotFoundError } from "../../errors.js";
import type { Image } from "../../gen/containerd/github.com/containerd/containerd/api/services/images/v1/images.js";
import type { Descriptor } from "../../gen/containerd/github.com/containerd/containerd/api/types/descriptor.js";
import type { Mount } from "../../gen/containerd/github.com/containerd/containerd/api/types/mount.js";
import { goArch, type ImageConfig } from "../image-config.js";
import type { ImageInfo } from "../runtime.js";
import type { ContainerdApi } from "./api.js";
import { readBlob, withLease, writeBlob } from "./content-store.js";
import { chainIds, digestOf, MEDIA, openArchive } from "./image-archive.js";

const GC_SNAPSHOT = "containerd.io/gc.ref.snapshot.";
/** The `<tar>.key` a known image tar was imported with. */
const KEY_LABEL = "org.botbox.image.key";

export interface RunnableImage {
  info: ImageInfo;
  config: ImageConfig;
  /** The committed snapshot of the image's top layer: a container's parent. */
  topSnapshot: string;
}

interface Manifest {
  config: Descriptor;
  layers: Descriptor[];
}

export class ContainerdImages {
  constructor(
    private readonly api: ContainerdApi,
    private readonly snapshotter: string,
    /** Image tars imported the first time their ref is needed (the built agent image). */
    private readonly known: Record<string, string> = {},
  ) {}

  /** The exact name, then without `docker.io/library/`, then a `/`-suffix match either way. */
  async find(ref: string): Promise<Image | undefined> {
    const get = (name: string) =>
      this.api
        .callOrMissing<{ image: Image | undefined }>(`get image ${name}`, (md, options, done) =>
          this.api.images.get({ name }, md, options, done),
        )
        .then((response) => response?.image);
    const exact = await get(ref);
    if (exact) return exact;
    const library = "docker.io/library/";
    if (ref.startsWith(library)) {
      const short = await get(ref.slice(library.length));
      if (short) return short;
    }
    const all = await this.all();
    return (
      all.find((image) => sameImageRef(image.name, ref)) ??
      all.find((image) => image.name.endsWith(`/${ref}`) || ref.endsWith(`/${image.name}`))
    );
  }

  /**
   * The image `ref` names. A known tar is imported when containerd lacks the
   * image, and again when the key build-agent-image.sh writes beside it
   * (`<tar>.key`, its inputs' hash) differs from the one the image was
   * imported with: a rebuilt agent image replaces the old one under its ref.
   */
  async ensure(ref: string): Promise<ImageInfo> {
    const image = await this.find(ref);
    // The configured image is normalised: `docker.io/botbox/agent:latest` is the known `botbox/agent:latest`.
    const tar = this.known[ref] ?? Object.entries(this.known).find(([name]) => sameImageRef(name, ref))?.[1];
    if (tar && existsSync(tar)) {
      const key = await readFile(`${tar}.key`, "utf8").then(
        (text) => text.trim() || undefined,
        () => undefined,
      );
      if (!image || (key !== undefined && image.labels[KEY_LABEL] !== key)) {
        await this.import(image?.name ?? ref, tar, key);
        return infoOf((await this.find(ref))!, ref);
      }
    }
    if (image) return infoOf(image, ref);
    throw new NotFoundError(
      `image ${ref} not found in containerd: ${tar ? `build it with images/build-agent-image.sh (it writes ${tar})` : "import it first"}`,
    );
  }

  async list(): Promise<ImageInfo[]> {
    return (await this.all()).map((image) => infoOf(image, image.name));
  }

  async delete(ref: string): Promise<void> {
    const image = await this.find(ref);
    if (!image) throw new NotFoundError(`image ${ref} not found`);
    // sync: the garbage collector has removed its content and snapshots when this returns.
    await this.api.call(`delete image ${ref}`, (md, options, done) =>
      this.api.images.delete({ name: image.name, sync: true }, md, options, done),
    );
  }

  /** What a container on `ref` needs; the layers are unpacked if they are not yet. */
  async runnable(ref: string): Promise<RunnableImage> {
    const info = await this.ensure(ref);
    const image = (await this.find(ref))!;
    const manifest = await this.manifestOf(image.target!);
    const config = JSON.parse((await readBlob(this.api, manifest.config.digest)).toString("utf8")) as ImageConfig;
    const chain = chainIds(config.rootfs?.diff_ids ?? []);
    const top = chain.at(-1);
    if (!top) throw new NotFoundError(`image ${ref} has no layers`);
    if (!(await this.snapshotExists(top)))
      await withLease(this.api, (lease) => this.unpack(manifest.layers, chain, lease));
    return { info, config, topSnapshot: top };
  }

  /** Imports an image tar under `ref` (replacing what `ref` named), unpacked with the snapshotter. */
  async import(ref: string, tarPath: string, key?: string): Promise<ImageInfo> {
    const archive = await openArchive(tarPath);
    try {
      const layers: Descriptor[] = archive.layers.map((layer) => ({
        mediaType: layer.mediaType,
        digest: layer.digest,
        size: layer.size,
        annotations: {},
      }));
      const chain = chainIds(archive.layers.map((layer) => layer.diffId));
      const config: Descriptor = {
        mediaType: MEDIA.config,
        digest: digestOf(archive.config),
        size: archive.config.length,
        annotations: {},
      };
      const manifestBytes = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.manifest, config, layers }),
      );
      const target: Descriptor = {
        mediaType: MEDIA.manifest,
        digest: digestOf(manifestBytes),
        size: manifestBytes.length,
        annotations: {},
      };
      // Labels the garbage collector follows: image -> manifest -> config and layers -> snapshot.
      const manifestLabels: Record<string, string> = { "containerd.io/gc.ref.content.config": config.digest };
      layers.forEach((layer, index) => (manifestLabels[`containerd.io/gc.ref.content.l.${index}`] = layer.digest));
      await withLease(this.api, async (lease) => {
        for (const [index, layer] of archive.layers.entries())
          await writeBlob(this.api, { ...layers[index]!, file: layer.file }, {}, lease);
        await writeBlob(
          this.api,
          { ...config, bytes: archive.config },
          { [GC_SNAPSHOT + this.snapshotter]: chain.at(-1) ?? "" },
          lease,
        );
        await writeBlob(this.api, { ...target, bytes: manifestBytes }, manifestLabels, lease);
        await this.unpack(layers, chain, lease);
        await this.putImage(ref, target, key === undefined ? {} : { [KEY_LABEL]: key }, lease);
      });
    } finally {
      await archive.dispose();
    }
    const image = await this.find(ref);
    if (!image) throw new NotFoundError(`image ${ref} not found after its import`);
    return infoOf(image, ref);
  }

  private async putImage(
    name: string,
    target: Descriptor,
    labels: Record<string, string>,
    lease: string,
  ): Promise<void> {
    const image = { name, labels, target, createdAt: undefined, updatedAt: undefined };
    try {
      await this.api.call(
        `create image ${name}`,
        (md, options, done) => this.api.images.create({ image }, md, options, done),
        { lease },
      );
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      await this.api.call(
        `update image ${name}`,
        (md, options, done) => this.api.images.update({ image, updateMask: ["target", "labels"] }, md, options, done),
        { lease },
      );
    }
  }

  /** Each missing layer: prepare on its parent, apply the diff, commit under its chain id. */
  private async unpack(layers: Descriptor[], chain: string[], lease: string): Promise<void> {
    for (const [index, layer] of layers.entries()) {
      const name = chain[index]!;
      if (await this.snapshotExists(name)) continue;
      const key = `botbox-extract-${randomUUID()}`;
      const prepared = await this.api.call<{ mounts: Mount[] }>(
        `prepare ${name}`,
        (md, options, done) =>
          this.api.snapshots.prepare(
            { snapshotter: this.snapshotter, key, parent: chain[index - 1] ?? "", labels: {} },
            md,
            options,
            done,
          ),
        { lease },
      );
      try {
        await this.api.call(
          `apply layer ${layer.digest}`,
          (md, options, done) =>
            this.api.diff.apply({ diff: layer, mounts: prepared.mounts, payloads: {} }, md, options, done),
          { lease, timeoutMs: 600_000 },
        );
        await this.api.call(
          `commit ${name}`,
          (md, options, done) =>
            this.api.snapshots.commit({ snapshotter: this.snapshotter, name, key, labels: {} }, md, options, done),
          { lease },
        );
      } catch (error) {
        await this.api
          .call(`remove ${key}`, (md, options, done) =>
            this.api.snapshots.remove({ snapshotter: this.snapshotter, key }, md, options, done),
          )
          .catch(() => {});
        // Another import committed the same layer meanwhile.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }

  private async snapshotExists(key: string): Promise<boolean> {
    const found = await this.api.callOrMissing(`stat snapshot ${key}`, (md, options, done) =>
      this.api.snapshots.stat({ snapshotter: this.snapshotter, key }, md, options, done),
    );
    return found !== undefined;
  }

  /** A manifest, through an index to this machine's platform. */
  private async manifestOf(target: Descriptor): Promise<Manifest> {
    let descriptor = target;
    for (let depth = 0; depth < 4; depth++) {
      const document = JSON.parse((await readBlob(this.api, descriptor.digest)).toString("utf8")) as {
        manifests?: (Descriptor & { platform?: { architecture?: string } })[];
        config?: Descriptor;
        layers?: Descriptor[];
      };
      if (document.config) return { config: document.config, layers: document.layers ?? [] };
      const next = document.manifests?.find((m) => m.platform?.architecture === goArch()) ?? document.manifests?.[0];
      if (!next) throw new NotFoundError(`image index ${descriptor.digest} names no manifest`);
      descriptor = next;
    }
    throw new NotFoundError(`image ${target.digest} nests indexes too deep`);
  }

  private async all(): Promise<Image[]> {
    const response = await this.api.call<{ images: Image[] }>("list images", (md, options, done) =>
      this.api.images.list({ filters: [] }, md, options, done),
    );
    return response.images;
  }
}

/** Two refs that normalise alike name one image. */
export function sameImageRef(a: string, b: string): boolean {
  return normalizeImageRef(a) === normalizeImageRef(b);
}

function infoOf(image: Image, ref: string): ImageInfo {
  return { ref, id: image.target?.digest ?? "", createdAt: image.createdAt ?? new Date(0) };
}
