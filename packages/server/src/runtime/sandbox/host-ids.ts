/**
 * Host identities for bots. When the server runs as root, each bot runs as its
 * own unprivileged host uid/gid (root only inside its user namespace), so a
 * sandbox escape gains nothing and bots cannot read each other's files. Ids
 * are claimed with an exclusive create in ONE registry for the whole machine
 * (not per botbox home: two homes must never hand the same uid to two bots),
 * which is atomic even across processes.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { isErrno, readJsonFile, writeJsonFile } from "./json-file.js";

export interface HostIdentity {
  uid: number;
  gid: number;
}

/** Far above regular users and the usual subuid ranges of rootless containers (100000+65536). */
export const FIRST_HOST_ID = 200_000;
const HOST_ID_COUNT = 1_000_000;

/** Machine-wide; `BOTBOX_HOST_ID_REGISTRY` moves it. */
export function hostIdRegistry(): string {
  return process.env.BOTBOX_HOST_ID_REGISTRY ?? "/var/lib/botbox/host-ids";
}

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The bot's identity: the one it already owns (kept data), else a fresh one. */
export async function claimHostIdentity(home: string, botId: string, ownerFile: string): Promise<HostIdentity> {
  const owned = await readJsonFile<HostIdentity>(ownerFile);
  if (owned) return owned;
  let identity: HostIdentity;
  if (runningAsRoot()) {
    const folder = hostIdRegistry();
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const taken = new Set((await readdir(folder)).map(Number));
    let uid = FIRST_HOST_ID;
    while (true) {
      if (uid >= FIRST_HOST_ID + HOST_ID_COUNT) throw new Error("no free host uid left for a new bot");
      if (!taken.has(uid)) {
        try {
          await writeFile(path.join(folder, String(uid)), `${home}\t${botId}\n`, { flag: "wx", mode: 0o600 });
          break;
        } catch (error) {
          // Another process took it between the listing and the create.
          if (!isErrno(error, "EEXIST")) throw error;
        }
      }
      uid++;
    }
    identity = { uid, gid: uid };
  } else {
    // Without root there is only one host uid to run as: ours.
    identity = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  }
  await writeJsonFile(ownerFile, identity);
  return identity;
}

export async function releaseHostIdentity(_home: string, identity: HostIdentity): Promise<void> {
  if (runningAsRoot()) await rm(path.join(hostIdRegistry(), String(identity.uid)), { force: true });
}
