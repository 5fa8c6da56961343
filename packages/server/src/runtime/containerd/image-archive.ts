/**
 * Reads an image tar, `docker save` style (manifest.json) or OCI layout
 * (index.json, blobs/), into what an import writes: the layers with their
 * digests and diff ids, and an image config that names them. Minimal
 * archives whose config lacks `os` or `rootfs.diff_ids` are completed (the
 * sandbox and the tests make such archives).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createGunzip } from "node:zlib";

import { BadRequestError } from "../../errors.js";
import { completedConfig, goArch, type ImageConfig } from "../image-config.js";

const run = promisify(execFile);

export const MEDIA = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

export interface ArchiveLayer {
  file: string;
  digest: string;
  size: number;
  /** The digest of the uncompressed tar. */
  diffId: string;
  mediaType: string;
}

export interface OpenedArchive {
  config: Buffer;
  layers: ArchiveLayer[];
  dispose(): Promise<void>;
}

interface DockerManifestEntry {
  Config: string;
  Layers: string[];
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string };
}

export async function openArchive(tarPath: string): Promise<OpenedArchive> {
  const folder = await mkdtemp(path.join(tmpdir(), "botbox-containerd-import-"));
  const dispose = () => rm(folder, { recursive: true, force: true });
  try {
    await run("tar", ["-xf", tarPath, "-C", folder], { maxBuffer: 16 * 2 ** 20 });
    const docker = await readJson<DockerManifestEntry[]>(path.join(folder, "manifest.json"));
    const found = docker?.[0]
      ? { config: path.join(folder, docker[0].Config), layers: docker[0].Layers.map((l) => path.join(folder, l)) }
      : await fromOciLayout(folder);
    const layers = await Promise.all(found.layers.map(describeLayer));
    const config = completeConfig(JSON.parse(await readFile(found.config, "utf8")) as ImageConfig, layers);
    return { config, layers, dispose };
  } catch (error) {
    await dispose();
    throw new BadRequestError(`image tar ${tarPath} cannot be imported: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** index.json, through nested indexes, to the manifest for this machine. */
async function fromOciLayout(folder: string): Promise<{ config: string; layers: string[] }> {
  const blob = (digest: string) => path.join(folder, "blobs", ...digest.split(":"));
  type Document = { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
  let document: Document | undefined = await readJson<Document>(path.join(folder, "index.json"));
  if (!document) throw new Error("neither manifest.json nor index.json found");
  for (let depth = 0; depth < 4; depth++) {
    const manifests: Descriptor[] = document.manifests ?? [];
    const chosen: Descriptor | undefined =
      manifests.find((m) => m.platform?.architecture === goArch() && (m.platform.os ?? "linux") === "linux") ??
      manifests.find((m) => !m.platform) ??
      manifests[0];
    if (!chosen) throw new Error("index.json names no manifest");
    const next: Document | undefined = await readJson<Document>(blob(chosen.digest));
    if (!next) throw new Error(`blob ${chosen.digest} is missing`);
    if (next.config)
      return { config: blob(next.config.digest), layers: (next.layers ?? []).map((l) => blob(l.digest)) };
    document = next;
  }
  throw new Error("index.json nests too deep");
}

async function describeLayer(file: string): Promise<ArchiveLayer> {
  const head = Buffer.alloc(2);
  const handle = await open(file);
  await handle.read(head, 0, 2, 0).finally(() => handle.close());
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  const digest = await sha256(createReadStream(file));
  const diffId = gzipped ? await sha256(createReadStream(file).pipe(createGunzip())) : digest;
  return { file, digest, diffId, size: (await stat(file)).size, mediaType: gzipped ? MEDIA.layerGzip : MEDIA.layer };
}

/** The config as stored: unchanged when complete, so its digest (the image's identity) stays. */
function completeConfig(config: ImageConfig, layers: ArchiveLayer[]): Buffer {
  const diffIds = layers.map((layer) => layer.diffId);
  const named = config.rootfs?.diff_ids ?? [];
  if (config.os && config.architecture && named.length === diffIds.length && named.every((d, i) => d === diffIds[i]))
    return Buffer.from(JSON.stringify(config));
  return Buffer.from(JSON.stringify(completedConfig(config, diffIds)));
}

/** The snapshot names of an image's layers: chain ids (OCI image spec). */
export function chainIds(diffIds: string[]): string[] {
  const chain: string[] = [];
  for (const diffId of diffIds) {
    const previous = chain.at(-1);
    chain.push(
      previous === undefined ? diffId : `sha256:${createHash("sha256").update(`${previous} ${diffId}`).digest("hex")}`,
    );
  }
  return chain;
}

export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function sha256(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk);
  return `sha256:${hash.digest("hex")}`;
}

async function readJson<T>(file: string): Promise<T | undefined> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}
