/**
 * The writable snapshot a new container gets. The original deleted any
 * snapshot under the container's key and prepared a fresh one, silently
 * destroying an orphaned writable layer (fixed later upstream by recovering
 * data first). Here an existing one is never deleted:
 * - on the same image (a container deleted with keepData, or lost), it is
 *   reused as it is, so /app, /root and installed packages carry on;
 * - otherwise (another image, or a start from a snapshot) it is first
 *   committed as snapshot `recovered-<time>` of the bot, which lists and
 *   restores like any other, then a fresh one is prepared.
 */
import type { ContainerSpec } from "../runtime.js";
import { activeSnapshotKey } from "./layout.js";
import type { BotSnapshots } from "./snapshots.js";

const NAME = "org.botbox.snapshot.name";

export interface WritableLayer {
  /** Prepared now (removed again if the container cannot be made). */
  fresh: boolean;
  /** The botbox snapshot a reused layer sits on. */
  parentSnapshot?: string;
}

export async function writableLayerFor(
  snapshots: BotSnapshots,
  spec: ContainerSpec,
  parent: string,
  imageTop: string,
): Promise<WritableLayer> {
  const key = activeSnapshotKey(spec.id);
  const existing = await snapshots.stat(key);
  if (!existing) {
    await snapshots.prepareActive(spec.id, parent);
    return { fresh: true };
  }
  if (!spec.fromSnapshot && (await descendsFrom(snapshots, existing.parent, imageTop))) {
    const name = (await snapshots.stat(existing.parent))?.labels[NAME];
    return { fresh: false, ...(name ? { parentSnapshot: name } : {}) };
  }
  if (existing.parent === parent && (await snapshots.isEmpty(key))) return { fresh: false };
  await snapshots.commitActive(spec.id, spec.botId, `recovered-${new Date().toISOString()}`);
  await snapshots.prepareActive(spec.id, parent);
  return { fresh: true };
}

async function descendsFrom(snapshots: BotSnapshots, start: string, ancestor: string): Promise<boolean> {
  let current = start;
  for (let depth = 0; current && depth < 512; depth++) {
    if (current === ancestor) return true;
    current = (await snapshots.stat(current))?.parent ?? "";
  }
  return false;
}
