import type { SnapshotInfo } from "../../runtime.js";
import { withStateLock } from "./intent-log.js";
import { listSnapshots, readIndex } from "./snapshot-index.js";

/**
 * What both kinds of writable state share: the index in `stateDir`, read only
 * once the state's own recovery (a crashed change rolled back or finished)
 * has run, and one change of the state at a time.
 */
export abstract class IndexedState {
  constructor(private readonly stateDir: string) {}

  /** Recovers the state once per process (recoverOnce); later calls wait for that one. */
  protected abstract recover(): Promise<void>;

  async list(): Promise<SnapshotInfo[]> {
    await this.recover();
    return listSnapshots(this.stateDir);
  }

  async parent(): Promise<string | undefined> {
    await this.recover();
    return (await readIndex(this.stateDir)).active.parent;
  }

  /** After the first recovery, one change of this state at a time. */
  protected async locked<T>(work: () => Promise<T>): Promise<T> {
    await this.recover();
    return withStateLock(this.stateDir, work);
  }
}
