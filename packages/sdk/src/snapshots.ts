import type { CallOptions, Transport } from "./transport.js";
import type { RolledBack, SnapshotCreated, SnapshotInfo } from "./types.js";

/** `bot.snapshots`: versions of the bot's filesystem, and going back to one. */
export class BotSnapshots {
  constructor(
    private readonly transport: Transport,
    private readonly botId: string,
  ) {}

  async create(options: { displayName?: string } & CallOptions = {}): Promise<SnapshotCreated> {
    const { displayName, ...call } = options;
    return this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/container/snapshots", {
        params: { path: { bot_id: this.botId } },
        body: displayName === undefined ? {} : { display_name: displayName },
        ...call,
      }),
    );
  }

  async list(call: CallOptions = {}): Promise<SnapshotInfo[]> {
    const { snapshots } = await this.transport.call(
      this.transport.api.GET("/bots/{bot_id}/container/snapshots", {
        params: { path: { bot_id: this.botId } },
        ...call,
      }),
    );
    return snapshots;
  }

  /** Back to a version (a snapshot's `version`); the bot restarts on it. */
  async rollback(version: number, call: CallOptions = {}): Promise<RolledBack> {
    return this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/container/rollback", {
        params: { path: { bot_id: this.botId } },
        body: { version },
        ...call,
      }),
    );
  }
}
