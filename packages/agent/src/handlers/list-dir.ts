import { type Dirent } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";

import type { FileEntry, ListDirRequest, ListDirResponse } from "@botbox/proto";

import { toFileEntry } from "../file-entry.js";
import { resolvePath } from "../paths.js";
import { describeSystemError, notFound } from "../rpc-error.js";

export async function listDir(dataDir: string, request: ListDirRequest): Promise<ListDirResponse> {
  // An empty path lists the data folder.
  const root = resolvePath(dataDir, request.path === "" ? "." : request.path);
  if (request.recursive) {
    const entries: FileEntry[] = [];
    await walk(root, "", entries);
    return { entries };
  }
  let names: Dirent[];
  try {
    names = await readdir(root, { withFileTypes: true });
  } catch (error) {
    throw notFound(describeSystemError("readdir", root, error));
  }
  const entries = await describeAll(root, sortByName(names), (dirent) => dirent.name);
  return { entries: entries.filter((entry) => entry !== undefined) };
}

/**
 * Go's filepath.WalkDir in lexical order, symlinks not followed, the root
 * excluded; any entry or subtree that cannot be read is skipped, so
 * a missing root yields an empty list.
 */
async function walk(folder: string, prefix: string, into: FileEntry[]): Promise<void> {
  let dirents: Dirent[];
  try {
    dirents = sortByName(await readdir(folder, { withFileTypes: true }));
  } catch {
    return;
  }
  const described = await describeAll(folder, dirents, (dirent) => prefix + dirent.name);
  for (let i = 0; i < dirents.length; i++) {
    const entry = described[i];
    if (entry === undefined) continue;
    into.push(entry);
    const dirent = dirents[i]!;
    if (dirent.isDirectory()) await walk(path.join(folder, dirent.name), `${entry.path}/`, into);
  }
}

async function describeAll(
  folder: string,
  dirents: Dirent[],
  nameOf: (dirent: Dirent) => string,
): Promise<(FileEntry | undefined)[]> {
  return Promise.all(
    dirents.map(async (dirent) => {
      try {
        const stats = await lstat(path.join(folder, dirent.name));
        // is_dir comes from the directory entry: a symlink to a folder is not one.
        return toFileEntry(nameOf(dirent), stats, dirent.isDirectory());
      } catch {
        return undefined;
      }
    }),
  );
}

/** Go sorts names by their bytes; JavaScript's default sort uses UTF-16 units. */
function sortByName(dirents: Dirent[]): Dirent[] {
  return dirents.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}
