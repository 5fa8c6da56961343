/**
 * The agent's view of the processes under its state folder. It holds no
 * state of its own: every answer is read from the process folders and the
 * keepers, so an agent that restarted sees what the previous one started.
 */
import { readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";

import { notFound } from "../rpc-error.js";
import { askKeeper, KeeperGone } from "./keeper-link.js";
import {
  EXIT_FILE,
  type ExitRecord,
  type LiveState,
  PROCESS_FILE,
  type ProcessRecord,
  readJsonFile,
} from "./process-record.js";

const PROCESS_ID = /^[0-9a-f]{12}$/;
/**
 * How long List and Get wait for a keeper's status. A keeper answers in well
 * under a millisecond; one that is stopped (SIGSTOP) or starved still has its
 * socket accept connections, and an unbounded wait hung every List.
 */
export const KEEPER_STATUS_TIMEOUT_MS = 2_000;

export type ProcessState =
  | { status: "running"; live: LiveState }
  | { status: "exited"; exit: ExitRecord }
  /** The keeper died without an exit record (killed from outside). */
  | { status: "lost" }
  /** The keeper accepted the connection but did not answer in time (e.g. SIGSTOPped). */
  | { status: "unresponsive" };

export interface KnownProcess {
  dir: string;
  record: ProcessRecord;
  state: ProcessState;
}

export class ProcessTable {
  constructor(readonly root: string) {}

  dirOf(id: string): string {
    return path.join(this.root, id);
  }

  /** Every process with a record, oldest first. */
  async all(): Promise<KnownProcess[]> {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    const found = await Promise.all(
      names.filter((name) => PROCESS_ID.test(name)).map((name) => this.load(this.dirOf(name))),
    );
    return found
      .filter((entry): entry is KnownProcess => entry !== undefined)
      .sort((a, b) => a.record.startedAtMs - b.record.startedAtMs);
  }

  async byId(id: string): Promise<KnownProcess> {
    const found = PROCESS_ID.test(id) ? await this.load(this.dirOf(id)) : undefined;
    if (!found) throw notFound(`no process with id ${JSON.stringify(id)}`);
    return found;
  }

  /** The running process with this tag, else the newest finished one. */
  async byTag(tag: string): Promise<KnownProcess> {
    const tagged = (await this.all()).filter((entry) => entry.record.tag === tag);
    const found =
      tagged.find((entry) => entry.state.status === "running" || entry.state.status === "unresponsive") ??
      tagged.at(-1);
    if (!found) throw notFound(`no process with tag ${JSON.stringify(tag)}`);
    return found;
  }

  async load(dir: string): Promise<KnownProcess | undefined> {
    const record = readJsonFile<ProcessRecord>(path.join(dir, PROCESS_FILE));
    if (!record) return undefined;
    return { dir, record, state: await this.stateOf(dir) };
  }

  async stateOf(dir: string): Promise<ProcessState> {
    const exit = readJsonFile<ExitRecord>(path.join(dir, EXIT_FILE));
    if (exit) return { status: "exited", exit };
    try {
      const reply = await askKeeper(dir, { op: "status" }, { timeoutMs: KEEPER_STATUS_TIMEOUT_MS });
      if (reply === undefined) return { status: "unresponsive" };
      // A keeper that could not record the exit (a full disk) still knows it.
      if (reply.state?.exit) return { status: "exited", exit: reply.state.exit };
      if (reply.state) return { status: "running", live: reply.state };
    } catch (error) {
      if (!(error instanceof KeeperGone)) throw error;
    }
    // It may have finished between the two looks.
    const late = readJsonFile<ExitRecord>(path.join(dir, EXIT_FILE));
    return late ? { status: "exited", exit: late } : { status: "lost" };
  }

  /**
   * Removes finished processes beyond the count, and those finished longer
   * ago than the age; the processes kept, as `all()` would list them.
   */
  async prune(keep: number, maxAgeSeconds: number): Promise<KnownProcess[]> {
    const entries = await this.all();
    const now = Date.now();
    const finished = entries
      .filter((entry) => entry.state.status === "exited" || entry.state.status === "lost")
      .map((entry) => ({
        entry,
        endedAt: entry.state.status === "exited" ? entry.state.exit.endedAtMs : statSync(entry.dir).mtimeMs,
      }))
      .sort((a, b) => b.endedAt - a.endedAt);
    const removed = new Set<KnownProcess>();
    finished.forEach(({ entry, endedAt }, index) => {
      if (index < keep && now - endedAt <= maxAgeSeconds * 1000) return;
      rmSync(entry.dir, { recursive: true, force: true });
      removed.add(entry);
    });
    return entries.filter((entry) => !removed.has(entry));
  }
}
