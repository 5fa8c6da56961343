import type { Logger } from "pino";

import { BadRequestError, NotFoundError } from "../errors.js";
import type { ContainerRuntime } from "../runtime/runtime.js";
import type { Store } from "../store/index.js";
import type { BotManager } from "./bot-manager.js";
import { containerIdFor } from "./container-state.js";

type SnapshotRecords = Pick<
  Store,
  "recordSnapshotVersion" | "listVersions" | "getVersionSnapshotName" | "listSnapshots" | "recordEvent"
>;

export type SnapshotSource = "manual" | "pre_exec" | "rollback";

export interface SnapshotResult {
  containerId: string;
  snapshotName: string;
  snapshotter: string;
  version: number;
  createdAt: Date;
}

export interface SnapshotView {
  name: string;
  parent: string | null;
  createdAt: Date;
  source: SnapshotSource | null;
  version: number | null;
  displayName: string | null;
}

const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Snapshots, versions and rollback on top of the runtime's
 * commit/restore. Each runs under the bot's lock with the task stopped, and a
 * failure at any step brings the bot back as it was, where the original left
 * the container missing.
 */
export class SnapshotService {
  constructor(
    private readonly manager: BotManager,
    private readonly runtime: ContainerRuntime,
    private readonly records: SnapshotRecords,
    private readonly logger: Pick<Logger, "error">,
  ) {}

  /** The event is a record of the operation, which has already happened: a failure to write it is logged. */
  private async event(containerId: string, eventType: string, payload: Record<string, unknown>): Promise<void> {
    try {
      await this.records.recordEvent({ containerId, eventType, payload });
    } catch (error) {
      this.logger.error({ containerId, eventType, err: error }, "could not record a lifecycle event");
    }
  }

  create(
    botId: string,
    options: { name?: string; source?: SnapshotSource; displayName?: string } = {},
  ): Promise<SnapshotResult> {
    const source = options.source ?? "manual";
    const requested = options.name?.trim();
    if (requested && !SNAPSHOT_NAME.test(requested)) {
      throw new BadRequestError(
        "snapshot name must be 1-128 characters of [A-Za-z0-9._-], starting with a letter or digit",
      );
    }
    return this.manager.withStoppedTask(botId, async (containerId) => {
      const name =
        requested || (source === "pre_exec" ? `${containerId}-v${Date.now()}` : `${containerId}-${Date.now()}`);
      const info = await this.runtime.commitSnapshot(containerId, name);
      const { version } = await this.records.recordSnapshotVersion({
        containerId,
        runtimeSnapshotName: name,
        parentRuntimeSnapshotName: info.parent ?? null,
        snapshotter: this.runtime.name,
        source,
        displayName: options.displayName ?? null,
      });
      await this.event(containerId, source === "pre_exec" ? "version_create" : "snapshot_create", {
        snapshot_name: name,
        snapshotter: this.runtime.name,
        source,
        version: version.version,
      });
      return {
        containerId,
        snapshotName: name,
        snapshotter: this.runtime.name,
        version: version.version,
        createdAt: info.createdAt,
      };
    });
  }

  async list(botId: string): Promise<SnapshotView[]> {
    const containerId = containerIdFor(botId);
    const [snapshots, managed, versions] = await Promise.all([
      this.runtime.listSnapshots(containerId),
      this.records.listSnapshots(containerId),
      this.records.listVersions(containerId),
    ]);
    const byName = new Map(managed.map((record) => [record.runtimeSnapshotName, record]));
    const versionOf = new Map(versions.map((record) => [record.runtimeSnapshotName, record.version]));
    return snapshots.map((snapshot) => ({
      name: snapshot.name,
      parent: snapshot.parent ?? null,
      createdAt: snapshot.createdAt,
      source: byName.get(snapshot.name)?.source ?? null,
      version: versionOf.get(snapshot.name) ?? null,
      displayName: byName.get(snapshot.name)?.displayName ?? null,
    }));
  }

  versions(botId: string) {
    return this.records.listVersions(containerIdFor(botId));
  }

  /** Puts the bot's writable state back to a version; what changed since is dropped. */
  async rollback(botId: string, version: number): Promise<{ snapshotName: string; version: number }> {
    const containerId = containerIdFor(botId);
    const name = await this.records.getVersionSnapshotName(containerId, version);
    if (!name) throw new NotFoundError(`bot ${botId} has no version ${version}`);
    return this.manager.withStoppedTask(botId, async () => {
      await this.runtime.restoreSnapshot(containerId, name);
      await this.event(containerId, "version_rollback", { snapshot_name: name, version, source: "rollback" });
      return { snapshotName: name, version };
    });
  }
}
