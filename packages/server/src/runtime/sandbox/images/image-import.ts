/**
 * Turns an image tar (`docker save` layout with manifest.json, or an OCI
 * layout with index.json) into a root filesystem folder: layers are applied
 * in order, each one's whiteouts first (`.wh.<name>` deletes a lower entry,
 * `.wh..wh..opq` empties a lower folder). Extraction runs confined
 * (confined-shell.ts); device nodes and setuid bits are dropped, because a
 * bot must not get a usable /dev/mem or a setuid binary from an image.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdir, readdir, readFile, realpath, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { BadRequestError } from "../../../errors.js";
import { runConfined } from "./confined-shell.js";

const run = promisify(execFile);

interface Descriptor {
  digest: string;
  mediaType?: string;
  platform?: { architecture?: string; os?: string };
}

export interface ImportedRootfs {
  /** sha256 of the image config: the image id `docker images` shows. */
  id: string;
  env: string[];
}

const APPLY_LAYER = `cd /target
xargs -0 -r rm -rf -- < /lists/remove
xargs -0 -r mkdir -p -- < /lists/recreate
if [ -n "$ROOT" ]; then owner="--same-owner"; else owner="--no-same-owner"; fi
tar -xpf /layer.tar --numeric-owner $owner --exclude='.wh.*' -C /target`;

const FINISH_ROOTFS = `cd /target
find . -xdev \\( -type b -o -type c \\) -exec rm -f {} +
find . -xdev -type f -perm /6000 -exec chmod ug-s {} +
mkdir -p data app tmp root home proc dev etc run/botbox opt/botbox/lib opt/mcp-template
for f in etc/hosts etc/hostname etc/resolv.conf; do
  if [ -L "$f" ]; then rm -f "$f"; fi
  [ -e "$f" ] || : > "$f"
done`;

/** Fills `workDir/rootfs` from the tar; `workDir` is scratch space on the same disk. */
export async function importRootfs(bwrapPath: string, tarPath: string, workDir: string): Promise<ImportedRootfs> {
  const outer = path.join(workDir, "outer");
  const rootfs = path.join(workDir, "rootfs");
  const lists = path.join(workDir, "lists");
  await Promise.all([outer, rootfs, lists].map((folder) => mkdir(folder, { recursive: true })));
  await runConfined(
    bwrapPath,
    [
      { source: tarPath, target: "/in.tar" },
      { source: outer, target: "/out", writable: true },
    ],
    "tar -xf /in.tar --no-same-owner -C /out",
  );
  const { config, layers } = await readManifest(outer);
  for (const layer of layers) {
    await writeWhiteoutLists(await listMembers(layer), rootfs, lists);
    await runConfined(
      bwrapPath,
      [
        { source: layer, target: "/layer.tar" },
        { source: lists, target: "/lists" },
        { source: rootfs, target: "/target", writable: true },
      ],
      APPLY_LAYER,
    );
  }
  await runConfined(bwrapPath, [{ source: rootfs, target: "/target", writable: true }], FINISH_ROOTFS);
  await chmod(rootfs, 0o755);
  const configBytes = await readFile(config);
  const parsed = JSON.parse(configBytes.toString("utf8")) as { config?: { Env?: string[] } };
  return {
    id: `sha256:${createHash("sha256").update(configBytes).digest("hex")}`,
    env: parsed.config?.Env ?? [],
  };
}

async function readManifest(outer: string): Promise<{ config: string; layers: string[] }> {
  const docker = await readJson<{ Config: string; Layers: string[] }[]>(outer, "manifest.json");
  if (docker?.[0]) {
    const entry = docker[0];
    return {
      config: await inside(outer, entry.Config),
      layers: await Promise.all(entry.Layers.map((layer) => inside(outer, layer))),
    };
  }
  type Blob = { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
  let index: Blob | undefined = await readJson<Blob>(outer, "index.json");
  if (!index) throw new BadRequestError("image tar has neither manifest.json nor index.json");
  // Follow nested indexes (multi-platform images) to this machine's manifest.
  for (let depth = 0; depth < 4; depth++) {
    const manifests: Descriptor[] = index.manifests ?? [];
    const arch = process.arch === "x64" ? "amd64" : process.arch;
    const chosen = manifests.find((entry) => entry.platform?.architecture === arch) ?? manifests[0];
    if (!chosen) throw new BadRequestError("image index lists no manifest");
    const blob: Blob | undefined = await readJson<Blob>(outer, blobPath(chosen.digest));
    if (!blob) throw new BadRequestError(`image tar lacks blob ${chosen.digest}`);
    if (blob.config) {
      return {
        config: await inside(outer, blobPath(blob.config.digest)),
        layers: await Promise.all((blob.layers ?? []).map((layer) => inside(outer, blobPath(layer.digest)))),
      };
    }
    index = blob;
  }
  throw new BadRequestError("image index nests too deep");
}

function blobPath(digest: string): string {
  const [algorithm, hex] = digest.split(":");
  if (!algorithm || !hex || !/^[a-z0-9]+$/.test(algorithm) || !/^[a-f0-9]+$/.test(hex))
    throw new BadRequestError(`bad digest ${JSON.stringify(digest)}`);
  return path.join("blobs", algorithm, hex);
}

/** A path of the extracted tar, refused when it (or a symlink in it) leads outside. */
async function inside(outer: string, relative: string): Promise<string> {
  const root = await realpath(outer);
  const resolved = await realpath(path.resolve(root, relative)).catch(() => {
    throw new BadRequestError(`image tar lacks ${JSON.stringify(relative)}`);
  });
  if (!resolved.startsWith(root + path.sep)) throw new BadRequestError(`image tar path ${relative} leads outside`);
  return resolved;
}

async function readJson<T>(outer: string, relative: string): Promise<T | undefined> {
  const file = await inside(outer, relative).catch(() => undefined);
  return file ? (JSON.parse(await readFile(file, "utf8")) as T) : undefined;
}

async function listMembers(layer: string): Promise<string[]> {
  const { stdout } = await run("tar", ["-tf", layer], { maxBuffer: 256 * 2 ** 20 }).catch((error: unknown) => {
    throw new BadRequestError(`unreadable image layer: ${(error as Error).message}`, { cause: error });
  });
  return stdout.split("\n").filter((name) => name !== "");
}

/** Writes `remove` (whited-out and opaque paths) and `recreate` (opaque folders), NUL-separated. */
async function writeWhiteoutLists(members: string[], rootfs: string, lists: string): Promise<void> {
  const remove: string[] = [];
  const recreate: string[] = [];
  for (const member of members) {
    const name = path.posix.normalize(member.replace(/^\/+/, ""));
    const base = path.posix.basename(name);
    if (!base.startsWith(".wh.") || name.startsWith("../")) continue;
    const folder = path.posix.dirname(name);
    if (base === ".wh..wh..opq") {
      if (folder === ".") remove.push(...(await readdir(rootfs)));
      else {
        remove.push(folder);
        recreate.push(folder);
      }
    } else {
      remove.push(path.posix.join(folder, base.slice(".wh.".length)));
    }
  }
  const joined = (names: string[]) => names.map((name) => `${name}\0`).join("");
  await writeFile(path.join(lists, "remove"), joined(remove));
  await writeFile(path.join(lists, "recreate"), joined(recreate));
}
