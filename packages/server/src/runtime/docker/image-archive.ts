/**
 * Makes a `docker save` style tar loadable by `docker load`. Docker requires
 * each image config to name its layers (`rootfs.diff_ids`) and an `os`; other
 * importers (containerd, the sandbox) do not, and minimal archives omit them.
 * When something is missing, the archive is rewritten with the digests of its
 * layers filled in; otherwise it is used as it is.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createGunzip } from "node:zlib";

import { BadRequestError } from "../../errors.js";
import { completedConfig, type ImageConfig } from "../image-config.js";

const run = promisify(execFile);

interface ManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export interface PreparedArchive {
  path: string;
  /** The names the archive's manifest gives its images (`RepoTags`), which `docker load` applies. */
  tags: string[];
  /** Removes the rewritten copy, if one was made. */
  dispose(): Promise<void>;
}

export async function loadableArchive(tarPath: string): Promise<PreparedArchive> {
  const folder = await mkdtemp(path.join(tmpdir(), "botbox-docker-load-"));
  const dispose = () => rm(folder, { recursive: true, force: true });
  try {
    // Only the JSON files first: most archives need no change.
    await run("tar", ["-xf", tarPath, "-C", folder, "--wildcards", "*.json"]).catch(() => undefined);
    const manifest = await readJson<ManifestEntry[]>(path.join(folder, "manifest.json"));
    if (!manifest) {
      await dispose();
      return { path: tarPath, tags: [], dispose: async () => {} };
    }
    const tags = manifest.flatMap((entry) => entry.RepoTags ?? []);
    const configs = await Promise.all(manifest.map((entry) => readJson<ImageConfig>(path.join(folder, entry.Config))));
    const complete = (config: ImageConfig | undefined, entry: ManifestEntry) =>
      config?.os !== undefined && config.rootfs?.diff_ids?.length === entry.Layers.length;
    if (manifest.every((entry, index) => complete(configs[index], entry))) {
      await dispose();
      return { path: tarPath, tags, dispose: async () => {} };
    }
    await run("tar", ["-xf", tarPath, "-C", folder]);
    for (const [index, entry] of manifest.entries()) {
      const diffIds = await Promise.all(entry.Layers.map((layer) => diffId(path.join(folder, layer))));
      const text = JSON.stringify(completedConfig(configs[index] ?? {}, diffIds));
      entry.Config = `${createHash("sha256").update(text).digest("hex")}.json`;
      await writeFile(path.join(folder, entry.Config), text);
    }
    await writeFile(path.join(folder, "manifest.json"), JSON.stringify(manifest));
    const rewritten = path.join(folder, "..", `${path.basename(folder)}.tar`);
    await run("tar", ["-cf", rewritten, "-C", folder, "."]);
    return {
      path: rewritten,
      tags,
      dispose: async () => {
        await dispose();
        await rm(rewritten, { force: true });
      },
    };
  } catch (error) {
    await dispose();
    throw new BadRequestError(`image tar ${tarPath} cannot be read: ${(error as Error).message}`, { cause: error });
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

/** The digest of a layer's uncompressed tar, as `rootfs.diff_ids` wants it. */
async function diffId(layer: string): Promise<string> {
  const head = Buffer.alloc(2);
  const handle = await open(layer);
  await handle.read(head, 0, 2, 0).finally(() => handle.close());
  const hash = createHash("sha256");
  const source = createReadStream(layer);
  const stream = head[0] === 0x1f && head[1] === 0x8b ? source.pipe(createGunzip()) : source;
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}
