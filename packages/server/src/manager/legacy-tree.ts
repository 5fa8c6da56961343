import { lstat, readdir, readlink } from "node:fs/promises";
import path from "node:path";

/** One entry of a legacy data tree, named by its `/`-separated path relative to the root. */
export type TreeEntry =
  | { kind: "folder"; relative: string; absolute: string; mode: number }
  | { kind: "file"; relative: string; absolute: string; mode: number; size: number }
  | { kind: "symlink"; relative: string; target: string }
  | { kind: "other"; relative: string }
  | { kind: "error"; relative: string; error: unknown };

/**
 * Walks a folder depth-first, parents before children, without following
 * symlinks. A folder or entry that cannot be read is yielded as an error and
 * the walk goes on, so the caller can count it (a partly walked tree must
 * not be marked migrated).
 */
export async function* walkTree(root: string, folder = root): AsyncGenerator<TreeEntry> {
  let names: string[];
  try {
    names = (await readdir(folder)).sort();
  } catch (error) {
    yield { kind: "error", relative: relativeTo(root, folder), error };
    return;
  }
  for (const name of names) {
    const absolute = path.join(folder, name);
    const relative = relativeTo(root, absolute);
    try {
      const info = await lstat(absolute);
      const mode = info.mode & 0o7777;
      if (info.isDirectory()) {
        yield { kind: "folder", relative, absolute, mode };
        yield* walkTree(root, absolute);
      } else if (info.isFile()) yield { kind: "file", relative, absolute, mode, size: info.size };
      else if (info.isSymbolicLink()) yield { kind: "symlink", relative, target: await readlink(absolute) };
      else yield { kind: "other", relative };
    } catch (error) {
      yield { kind: "error", relative, error };
    }
  }
}

const relativeTo = (root: string, absolute: string) => path.relative(root, absolute).split(path.sep).join("/");
