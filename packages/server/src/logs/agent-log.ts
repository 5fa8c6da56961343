/**
 * A bot's agent log as the host reads it: the newest lines (agent-log-files.ts)
 * or a follow of them (agent-log-follow.ts), from the folder the bot's
 * backend binds at /run/botbox.
 */
import { UnavailableError } from "../errors.js";
import type { ContainerRuntime } from "../runtime/runtime.js";
import { type AgentLogTail, tailOf } from "./agent-log-files.js";
import { type AgentLogFollow, followAgentLog } from "./agent-log-follow.js";

export interface AgentLogOptions {
  runtime: Pick<ContainerRuntime, "name" | "agentRunFolder">;
  containerIdFor: (botId: string) => string;
}

export class AgentLogs {
  constructor(private readonly options: AgentLogOptions) {}

  /** The host folder the agent writes its log in; UnavailableError where the backend keeps none. */
  async folder(botId: string): Promise<string> {
    const { runtime, containerIdFor } = this.options;
    if (!runtime.agentRunFolder) throw new UnavailableError(`the ${runtime.name} runtime keeps no agent log`);
    return runtime.agentRunFolder(containerIdFor(botId));
  }

  /** The newest `tail` lines, newest file first until enough are read. */
  async tail(botId: string, tail: number): Promise<AgentLogTail> {
    const { lines, truncated } = await tailOf(await this.folder(botId), tail);
    return { lines, truncated };
  }

  /** The newest `tail` lines, then each new one until `signal` aborts (agent-log-follow.ts). */
  async follow(botId: string, tail: number, signal: AbortSignal): Promise<AgentLogFollow> {
    return followAgentLog(await this.folder(botId), tail, signal);
  }
}
