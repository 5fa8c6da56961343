import { chmod, chown, mkdir } from "node:fs/promises";
import path from "node:path";

import type { SnapshotInfo } from "../../runtime.js";
import type { HostIdentity } from "../host-ids.js";
import { isErrno } from "../json-file.js";
import { STATE_FOLDERS } from "../layout.js";

/**
 * A bot's writable state (/data, /app, /tmp, /root, /home) and its snapshots.
 * Two kinds: overlay layers when the server is root (commit and restore cost
 * what changed), full copies otherwise.
 */
export interface WritableState {
  readonly kind: "overlay" | "copy";
  /** Creates the state on first use; keeps an existing one (kept data). */
  init(): Promise<void>;
  /** Readies the state for a task; returns the folder holding data/ app/ tmp/ root/ home/. */
  activate(): Promise<string>;
  /** Undoes activate; the task must be gone. */
  deactivate(): Promise<void>;
  commit(name: string): Promise<SnapshotInfo>;
  list(): Promise<SnapshotInfo[]>;
  restore(name: string): Promise<void>;
  delete(name: string): Promise<void>;
  /** The snapshot the active state sits on. */
  parent(): Promise<string | undefined>;
}

const FOLDER_MODES: Record<(typeof STATE_FOLDERS)[number], number> = {
  data: 0o755,
  app: 0o755,
  tmp: 0o1777,
  root: 0o700,
  home: 0o755,
};

/**
 * The five state folders, owned by the bot's host identity (root inside its
 * namespace). Existing ones are left as the bot made them.
 */
export async function makeStateFolders(parent: string, owner: HostIdentity): Promise<void> {
  await mkdir(parent, { recursive: true, mode: 0o755 });
  for (const name of STATE_FOLDERS) {
    const folder = path.join(parent, name);
    const created = await mkdir(folder).then(
      () => true,
      (error: unknown) => {
        if (isErrno(error, "EEXIST")) return false;
        throw error;
      },
    );
    if (!created) continue;
    // After mkdir: the umask would drop bits, e.g. the sticky bit of /tmp.
    await chmod(folder, FOLDER_MODES[name]);
    await chown(folder, owner.uid, owner.gid);
  }
}
