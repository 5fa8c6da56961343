/**
 * The default image `botbox/default`: the host's /usr (bound read-only at run
 * time) plus the minimal /etc generated here. Only what programs need to run
 * is written or copied: users, name service switch, the dynamic linker's
 * cache and Debian's alternatives symlinks (many /usr/bin tools point into
 * /etc/alternatives). Never the host's shadow, ssh keys or anything else.
 * hosts, hostname and resolv.conf are placeholders: each bot gets its own
 * (bot-etc.ts), and /etc/ssl/certs is bound from the host when present.
 */
import { createHash } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import path from "node:path";

/** Bump when the generated files change, so existing homes regenerate them. */
export const DEFAULT_IMAGE_FORMAT = 1;

const FILES: Record<string, string> = {
  passwd: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
  group: "root:x:0:\nnobody:x:65534:\n",
  "nsswitch.conf":
    "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n",
  shells: "/bin/sh\n/bin/bash\n",
  hosts: "",
  hostname: "",
  "resolv.conf": "",
};

/** Writes the generated /etc into `etcDir`; returns a digest of what it holds. */
export async function writeDefaultEtc(etcDir: string): Promise<string> {
  const digest = createHash("sha256").update(`format ${DEFAULT_IMAGE_FORMAT}\n`);
  await mkdir(path.join(etcDir, "ssl", "certs"), { recursive: true, mode: 0o755 });
  for (const [name, content] of Object.entries(FILES)) {
    await writeFile(path.join(etcDir, name), content, { mode: 0o644 });
    digest.update(`${name}\0${content}\0`);
  }
  // Symlinks that only point into /usr, copied as symlinks.
  for (const name of ["localtime", "os-release"]) {
    const target = await readlink(path.join("/etc", name)).catch(() => undefined);
    if (target && /^(\/|\.\.\/)usr\//.test(target)) {
      await symlink(target, path.join(etcDir, name));
      digest.update(`${name} -> ${target}\0`);
    }
  }
  const alternatives = path.join(etcDir, "alternatives");
  await mkdir(alternatives, { mode: 0o755 });
  for (const name of await readdir("/etc/alternatives").catch(() => [])) {
    const target = await readlink(path.join("/etc/alternatives", name)).catch(() => undefined);
    if (target?.startsWith("/usr/")) {
      await symlink(target, path.join(alternatives, name));
      digest.update(`alternatives/${name} -> ${target}\0`);
    }
  }
  const cache = await readFile("/etc/ld.so.cache").catch(() => undefined);
  if (cache) {
    await copyFile("/etc/ld.so.cache", path.join(etcDir, "ld.so.cache"));
    digest.update(cache);
  }
  return `sha256:${digest.digest("hex")}`;
}
