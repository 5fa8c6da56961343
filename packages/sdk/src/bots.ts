import { Bot } from "./bot.js";
import type { paths } from "./gen/openapi.js";
import { botPath, type CallOptions, type Transport } from "./transport.js";
import type { BotInfo } from "./types.js";

/** What POST /bots takes: a name, and optionally an id, network, egress, isolation, limits. */
export type CreateBotOptions = paths["/bots"]["post"]["requestBody"]["content"]["application/json"];

/** `box.bots`: create, find and delete bots. */
export class Bots {
  constructor(private readonly transport: Transport) {}

  async create(options: CreateBotOptions, call: CallOptions = {}): Promise<Bot> {
    const info = await this.transport.call(this.transport.api.POST("/bots", { body: options, ...call }));
    return new Bot(this.transport, info);
  }

  async list(call: CallOptions = {}): Promise<Bot[]> {
    const { bots } = await this.transport.call(this.transport.api.GET("/bots", call));
    return bots.map((info) => new Bot(this.transport, info));
  }

  /** The bot with this id; BotboxApiError `not_found` when there is none. */
  async get(botId: string, call: CallOptions = {}): Promise<Bot> {
    const info: BotInfo = await this.transport.call(
      this.transport.api.GET("/bots/{bot_id}", { params: { path: { bot_id: botId } }, ...call }),
    );
    return new Bot(this.transport, info);
  }

  /** A handle on a bot by id without asking the server (its `info` is unknown until `refresh`). */
  handle(botId: string): Bot {
    return new Bot(this.transport, { id: botId });
  }

  async delete(botId: string, call: CallOptions = {}): Promise<void> {
    await this.transport.request("DELETE", botPath(botId), call);
  }
}
