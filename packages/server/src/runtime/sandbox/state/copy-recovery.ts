/**
 * Crash recovery of the copy mode (see intent-log.ts). Its only change of
 * more than one step is a restore, which swaps `upper` for a fresh copy by two
 * renames; one that did not reach its commit point is rolled back, the bot's
 * `upper` put back. Copies and temporary folders nothing refers to go.
 */
import { readdir, rename, rm } from "node:fs/promises";
import path from "node:path";

import { syncFolder } from "./durable-file.js";
import { clearIntent, type IntentRecord, intentToSettle } from "./intent-log.js";
import { readIndex, type StateIndex } from "./snapshot-index.js";

export interface CopyPaths {
  state: string;
  upper: string;
  copies: string;
}

/** False when another process is in the middle of a change. */
export async function recoverCopies(paths: CopyPaths): Promise<boolean> {
  const intent = await intentToSettle(paths.state);
  if (intent === "busy") return false;
  if (intent) await settleCopyIntent(paths, intent, await readIndex(paths.state));
  await dropUnusedCopies(paths, await readIndex(paths.state));
  return true;
}

export async function settleCopyIntent(paths: CopyPaths, intent: IntentRecord, index: StateIndex): Promise<void> {
  if (intent.op === "copy-restore" && index.lastOp !== intent.id) {
    const trash = path.join(paths.state, intent.trash);
    const fresh = path.join(paths.state, intent.fresh);
    if (await exists(trash)) {
      // Both renames done: `upper` is the snapshot's copy, the bot's own is in the trash.
      if (await exists(paths.upper)) await rename(paths.upper, fresh);
      await rename(trash, paths.upper);
      await syncFolder(paths.state);
    }
  }
  await clearIntent(paths.state);
}

export async function dropUnusedCopies(paths: CopyPaths, index: StateIndex): Promise<void> {
  const used = new Set(index.snapshots.flatMap((snapshot) => snapshot.layers));
  for (const copy of await readdir(paths.copies).catch(() => [])) {
    if (!used.has(copy)) await rm(path.join(paths.copies, copy), { recursive: true, force: true });
  }
  for (const entry of await readdir(paths.state).catch(() => [])) {
    if (/^(trash|restore)-|^(index|intent)\.json\.[0-9a-f]+\.tmp$/.test(entry))
      await rm(path.join(paths.state, entry), { recursive: true, force: true });
  }
}

function exists(folder: string): Promise<boolean> {
  return readdir(folder).then(
    () => true,
    () => false,
  );
}
