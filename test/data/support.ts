import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Every entry under a folder as "type mode path [sha256 | -> target]", sorted:
 * two trees are equal, content, modes and links included, when their
 * manifests are.
 */
export async function manifest(root: string, folder = root): Promise<string[]> {
  const lines: string[] = [];
  for (const name of await readdir(folder)) {
    const absolute = path.join(folder, name);
    const relative = path.relative(root, absolute);
    const info = await lstat(absolute);
    const mode = (info.mode & 0o7777).toString(8);
    if (info.isDirectory()) {
      lines.push(`d ${mode} ${relative}`);
      lines.push(...(await manifest(root, absolute)));
    } else if (info.isSymbolicLink()) lines.push(`l ${relative} -> ${await readlink(absolute)}`);
    else
      lines.push(
        `f ${mode} ${relative} ${createHash("sha256")
          .update(await readFile(absolute))
          .digest("hex")}`,
      );
  }
  return lines.sort();
}

/** A tree with what a copy tends to lose: empty files and folders, modes, links, depth. */
export async function buildSampleTree(root: string): Promise<void> {
  await mkdir(path.join(root, "notes/deep/deeper"), { recursive: true });
  await mkdir(path.join(root, "empty-folder"), { recursive: true });
  await mkdir(path.join(root, "private"), { recursive: true });
  await writeFile(path.join(root, "notes/a.txt"), "alpha\n");
  await writeFile(path.join(root, "notes/deep/deeper/b.txt"), "beta\n");
  await writeFile(path.join(root, "notes/empty.txt"), "");
  await writeFile(path.join(root, "run.sh"), "#!/bin/sh\necho run\n");
  await writeFile(path.join(root, "private/secret"), "s3cret");
  await writeFile(path.join(root, "name with spaces & 'quotes'"), "odd name");
  await chmod(path.join(root, "run.sh"), 0o755);
  await chmod(path.join(root, "private/secret"), 0o600);
  await chmod(path.join(root, "private"), 0o700);
  await chmod(path.join(root, "notes/deep"), 0o750);
  await symlink("notes/a.txt", path.join(root, "link-to-a"));
  await symlink("../outside", path.join(root, "notes/dangling-up"));
}

/** A tar.gz of a folder's contents, as a user would make one. */
export function tarGz(folder: string, members: string[] = ["."], extraArgs: string[] = []): Buffer {
  return execFileSync("tar", ["-czf", "-", ...extraArgs, "-C", folder, ...members], { maxBuffer: 2 ** 30 });
}
