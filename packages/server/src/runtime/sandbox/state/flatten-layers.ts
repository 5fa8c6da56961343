/**
 * Squashes a chain of overlay layers into one new layer, so chains never grow
 * without bound. The kernel resolves whiteouts and opaque folders for us: we
 * walk a read-only overlay of the whole chain, recreate its folders, and hard
 * link every other entry from the topmost layer that holds it. Committed
 * layers are never written again, so sharing inodes between them is safe, and
 * the cost is one link per file, not a copy of its bytes.
 */
import { chmod, chown, link, lstat, mkdir, readdir, utimes } from "node:fs/promises";
import path from "node:path";

import { crashPoint } from "./crash-point.js";
import { mountOverlay, unmount } from "./mounts.js";

/** `layers` bottom first; `target` must not exist; `scratch` is an empty folder to mount on. */
export async function flattenLayers(layers: string[], target: string, scratch: string): Promise<void> {
  // An overlay without an upper layer needs at least two lower ones.
  if (layers.length < 2) throw new Error("flatten needs at least two layers");
  const topFirst = [...layers].reverse();
  await mkdir(scratch, { recursive: true });
  await mountOverlay(scratch, topFirst);
  crashPoint("flatten:mounted");
  try {
    await copyFolder(scratch, target, "", topFirst);
  } finally {
    await unmount(scratch);
  }
}

async function copyFolder(merged: string, target: string, relative: string, topFirst: string[]): Promise<void> {
  const source = path.join(merged, relative);
  const folder = path.join(target, relative);
  const stat = await lstat(source);
  await mkdir(folder);
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const child = path.join(relative, entry.name);
    if (entry.isDirectory()) await copyFolder(merged, target, child, topFirst);
    else await link(await topmostHolder(topFirst, child), path.join(target, child));
  }
  await chown(folder, stat.uid, stat.gid);
  await chmod(folder, stat.mode & 0o7777);
  await utimes(folder, stat.atime, stat.mtime);
}

/** The layer file the overlay shows at `relative`: the topmost one that is not a whiteout. */
async function topmostHolder(topFirst: string[], relative: string): Promise<string> {
  for (const layer of topFirst) {
    const candidate = path.join(layer, relative);
    const stat = await lstat(candidate).catch(() => undefined);
    if (stat && !(stat.isCharacterDevice() && stat.rdev === 0)) return candidate;
  }
  throw new Error(`flatten: no layer holds ${relative}`);
}
