import type { CallOptions, Transport } from "./transport.js";
import type { MemoryInfo } from "./types.js";

/** `bot.memory`: the bot's long-term memory (docs/memory.md). */
export class BotMemory {
  constructor(
    private readonly transport: Transport,
    private readonly botId: string,
  ) {}

  private get path() {
    return { path: { bot_id: this.botId } };
  }

  async add(message: string, call: CallOptions = {}): Promise<MemoryInfo> {
    return this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/memory", { params: this.path, body: { message }, ...call }),
    );
  }

  async search(query: string, options: { limit?: number } & CallOptions = {}): Promise<MemoryInfo[]> {
    const { limit, ...call } = options;
    const { results } = await this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/memory/search", {
        params: this.path,
        body: { query, ...(limit === undefined ? {} : { limit }) },
        ...call,
      }),
    );
    return results;
  }

  async list(options: { limit?: number } & CallOptions = {}): Promise<MemoryInfo[]> {
    const { limit, ...call } = options;
    const { results } = await this.transport.call(
      this.transport.api.GET("/bots/{bot_id}/memory", {
        params: { ...this.path, query: limit === undefined ? {} : { limit } },
        ...call,
      }),
    );
    return results;
  }

  /** Deletes memories by id; answers how many were deleted. */
  async remove(ids: string[], call: CallOptions = {}): Promise<number> {
    const { deleted } = await this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/memory/delete", { params: this.path, body: { ids }, ...call }),
    );
    return deleted;
  }
}
