/**
 * Crash consistency of a bot's state (`state/intent.json`). Every change of
 * more than one step writes what it is about to do, durably, before its first
 * step, and removes it after its last. The index's atomic rewrite is the
 * commit point of each change: its `lastOp` names the change that wrote it.
 * A change found in the log after a crash is finished when the index already
 * names it, else rolled back (overlay-recovery.ts, copy-recovery.ts).
 *
 * Changes of one state run one at a time in this process (`withStateLock`),
 * and the first use of a state in a process recovers it first.
 */
import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";

import { readJsonFile } from "../json-file.js";
import { syncFolder, writeFileDurably } from "./durable-file.js";

export type Intent =
  /** Overlay: `upper` becomes `layers/<layer>`, squashed into `layers/<squashed>` past MAX_LAYERS. */
  | { op: "commit"; name: string; layer: string; squashed?: string }
  /** Overlay: `upper` moves to `<trash>` and the active chain becomes the snapshot's. */
  | { op: "restore"; name: string; trash: string }
  /** Copy: the snapshot's copy is made at `<fresh>`, `upper` moves to `<trash>`, `<fresh>` to `upper`. */
  | { op: "copy-restore"; name: string; fresh: string; trash: string };

export type IntentRecord = Intent & {
  id: string;
  /** The process doing it: a log whose process still runs is not a crash's. */
  pid: number;
  processStart: string;
};

const file = (stateDir: string) => path.join(stateDir, "intent.json");

export async function writeIntent(stateDir: string, intent: Intent): Promise<IntentRecord> {
  const record: IntentRecord = {
    ...intent,
    id: randomBytes(8).toString("hex"),
    pid: process.pid,
    processStart: await processStart(process.pid),
  };
  await writeFileDurably(file(stateDir), `${JSON.stringify(record)}\n`);
  return record;
}

export function readIntent(stateDir: string): Promise<IntentRecord | undefined> {
  return readJsonFile<IntentRecord>(file(stateDir));
}

export async function clearIntent(stateDir: string): Promise<void> {
  await rm(file(stateDir), { force: true });
  await syncFolder(stateDir);
}

/**
 * For recovery: the change a crash left to settle (undefined when none), or
 * "busy" when another live process (a second server on this home) is in the
 * middle of it and it must be left alone.
 */
export async function intentToSettle(stateDir: string): Promise<IntentRecord | undefined | "busy"> {
  const intent = await readIntent(stateDir);
  return intent && intent.pid !== process.pid && (await writerAlive(intent)) ? "busy" : intent;
}

/** Whether the process that wrote the log still runs (the same process, not a later one with its pid). */
async function writerAlive(record: IntentRecord): Promise<boolean> {
  return (await processStart(record.pid)) === record.processStart && record.processStart !== "";
}

/** The process's start time in clock ticks since boot, "" when it does not run. */
async function processStart(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // Fields after the command name, which is in parentheses and may hold anything; starttime is field 22.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
}

const queues = new Map<string, Promise<unknown>>();
const recovered = new Set<string>();

/** Runs `work` after every earlier change of this state in this process. */
export function withStateLock<T>(stateDir: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(stateDir) ?? Promise.resolve();
  const result = previous.then(work, work);
  const tail = result.catch(() => undefined);
  queues.set(stateDir, tail);
  void tail.then(() => {
    if (queues.get(stateDir) === tail) queues.delete(stateDir);
  });
  return result;
}

/**
 * Runs `recover` once per state and process, under the state's lock, before
 * the first use. One that fails, or returns false (not done: another process
 * is in the middle of a change), is tried again at the next use.
 */
export async function recoverOnce(stateDir: string, recover: () => Promise<boolean>): Promise<void> {
  if (recovered.has(stateDir)) return;
  await withStateLock(stateDir, async () => {
    if (recovered.has(stateDir)) return;
    if (await recover()) recovered.add(stateDir);
  });
}

/** For a change whose own roll-back failed: the next use of the state recovers it again. */
export function forgetRecovery(stateDir: string): void {
  recovered.delete(stateDir);
}
