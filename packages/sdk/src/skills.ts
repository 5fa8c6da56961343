import type { CallOptions, Transport } from "./transport.js";
import type { SkillList } from "./types.js";

/** `bot.skills`: the bot's skills, each a SKILL.md named by its frontmatter. */
export class BotSkills {
  constructor(
    private readonly transport: Transport,
    private readonly botId: string,
  ) {}

  private get path() {
    return { path: { bot_id: this.botId } };
  }

  /** The skills, and the SKILL.md files that could not be read as one (`errors`). */
  async list(call: CallOptions = {}): Promise<SkillList> {
    return this.transport.call(
      this.transport.api.GET("/bots/{bot_id}/container/skills", { params: this.path, ...call }),
    );
  }

  /** Creates or replaces skills from their SKILL.md texts; answers their names. */
  async put(skills: string[], call: CallOptions = {}): Promise<string[]> {
    const { names } = await this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/container/skills", { params: this.path, body: { skills }, ...call }),
    );
    return names;
  }

  async remove(names: string[], call: CallOptions = {}): Promise<void> {
    await this.transport.call(
      this.transport.api.DELETE("/bots/{bot_id}/container/skills", { params: this.path, body: { names }, ...call }),
    );
  }
}
