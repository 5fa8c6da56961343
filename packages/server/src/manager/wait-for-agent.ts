import { stat } from "node:fs/promises";

import type { AgentClient, AgentEndpoint, AgentProvider } from "../client/index.js";
import { BotboxError, UnavailableError } from "../errors.js";

/**
 * A start is done only when the bot's own agent answers (the original
 * called a start done once a task existed, and raced the agent's
 * start-up). Retries while the agent is not up yet; any other failure, such
 * as an agent that answers for another bot, ends the wait at once.
 */
export interface WaitOptions {
  /**
   * A cheap check that the agent may be up (its socket exists). While it says
   * no, no gRPC channel is dialled: a failed dial costs CPU that the booting
   * agent needs more.
   */
  mayBeUp?: () => Promise<boolean>;
  /**
   * Why the bot's task has ended (it exited before its agent answered), or
   * undefined while it runs: the wait then ends at once with that reason
   * rather than at the timeout.
   */
  taskEnded?: () => Promise<string | undefined>;
  /** The whole timeout, for the message, when `timeoutMs` is what is left of it. */
  totalMs?: number;
}

/** For an agent on a Unix socket, a `mayBeUp` that asks whether the socket has appeared yet. */
export function unixSocketProbe(endpoint: AgentEndpoint | undefined): (() => Promise<boolean>) | undefined {
  if (!endpoint?.address.startsWith("unix:")) return undefined;
  const socketPath = endpoint.address.slice("unix:".length);
  return () =>
    stat(socketPath).then(
      (stats) => stats.isSocket(),
      () => false,
    );
}

/** How often an unanswered wait asks whether the task has ended. */
const TASK_CHECK_MS = 200;

export async function waitForAgent(
  provider: AgentProvider,
  botId: string,
  timeoutMs: number,
  options: WaitOptions = {},
): Promise<AgentClient> {
  const { mayBeUp = async () => true, taskEnded, totalMs = timeoutMs } = options;
  const deadline = Date.now() + timeoutMs;
  if (timeoutMs <= 0)
    throw new UnavailableError(`the agent of bot ${botId} did not answer within ${totalMs} ms: the start used it all`);
  let nextTaskCheck = Date.now() + TASK_CHECK_MS;
  let delayMs = 5;
  let lastError: unknown;
  for (;;) {
    if (await mayBeUp()) {
      try {
        return await provider.agentFor(botId);
      } catch (error) {
        if (!(error instanceof UnavailableError) && error instanceof BotboxError) throw error;
        lastError = error;
      }
    } else {
      lastError = new UnavailableError(`the agent of bot ${botId} has not opened its socket yet`);
      delayMs = 5;
    }
    if (taskEnded && Date.now() >= nextTaskCheck) {
      nextTaskCheck = Date.now() + TASK_CHECK_MS;
      const ended = await taskEnded();
      if (ended) throw new UnavailableError(`the agent of bot ${botId} never answered: ${ended}`, { cause: lastError });
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new UnavailableError(`the agent of bot ${botId} did not answer within ${totalMs} ms${reason}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, remaining)));
    // A short cap: a start is waiting on this, and a connect attempt is cheap.
    delayMs = Math.min(delayMs * 2, 25);
  }
}
