/**
 * Finishes or rolls back an overlay state change a crash interrupted (see
 * intent-log.ts), then clears what the crash left: mounts, trash, temporary
 * files and layers no snapshot refers to. A commit that did not reach its
 * commit point is rolled back: its layer becomes `upper` again, nothing the
 * bot wrote is lost. A restore that did not is rolled back too: the `upper`
 * it was dropping comes back.
 */
import { readdir, rename, rm, rmdir } from "node:fs/promises";
import path from "node:path";

import { isErrno } from "../json-file.js";
import { syncFolder } from "./durable-file.js";
import { clearIntent, type IntentRecord, intentToSettle } from "./intent-log.js";
import { unmount } from "./mounts.js";
import { readIndex, type StateIndex } from "./snapshot-index.js";

export interface OverlayPaths {
  state: string;
  upper: string;
  layers: string;
  merged: string;
  scratch: string;
}

/** False when another process (a second server on this home) is in the middle of a change. */
export async function recoverOverlay(paths: OverlayPaths): Promise<boolean> {
  const intent = await intentToSettle(paths.state);
  if (intent === "busy") return false;
  await unmount(paths.scratch);
  if (intent) {
    // Its task was stopped for the change and nothing has started it since.
    await unmount(paths.merged);
    await settleIntent(paths, intent, await readIndex(paths.state));
  }
  await dropUnused(paths, await readIndex(paths.state));
  return true;
}

/** Finishes `intent` if the index names it, else undoes its steps; then clears it. */
export async function settleIntent(paths: OverlayPaths, intent: IntentRecord, index: StateIndex): Promise<void> {
  const committed = index.lastOp === intent.id;
  if (intent.op === "commit" && !committed) {
    if (intent.squashed) await rm(path.join(paths.layers, intent.squashed), { recursive: true, force: true });
    await moveBack(path.join(paths.layers, intent.layer), paths.upper);
  } else if (intent.op === "restore" && !committed) {
    await moveBack(path.join(paths.state, intent.trash), paths.upper);
  }
  await clearIntent(paths.state);
}

/**
 * Puts `from` (the bot's files, moved aside by the change) back at `upper`.
 * The `upper` made in the meantime is empty: nothing ran on it. rmdir, not
 * rm: should it hold anything, recovery stops there rather than drop it.
 */
async function moveBack(from: string, upper: string): Promise<void> {
  if (!(await exists(from))) return; // Not moved yet, or already moved back.
  await rmdir(upper).catch((error: unknown) => {
    if (!isErrno(error, "ENOENT")) throw error;
  });
  await rename(from, upper);
  await syncFolder(path.dirname(upper));
}

/** Layers nothing refers to, trash of finished restores, temporary files of interrupted writes. */
export async function dropUnused(paths: OverlayPaths, index: StateIndex): Promise<void> {
  const used = new Set([...index.active.layers, ...index.snapshots.flatMap((snapshot) => snapshot.layers)]);
  for (const layer of await readdir(paths.layers).catch(() => [])) {
    if (!used.has(layer)) await rm(path.join(paths.layers, layer), { recursive: true, force: true });
  }
  for (const entry of await readdir(paths.state).catch(() => [])) {
    if (/^trash-|^(index|intent)\.json\.[0-9a-f]+\.tmp$/.test(entry))
      await rm(path.join(paths.state, entry), { recursive: true, force: true });
  }
}

function exists(folder: string): Promise<boolean> {
  return readdir(folder).then(
    () => true,
    () => false,
  );
}
