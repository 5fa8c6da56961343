import { AgentError } from "../errors.js";

/**
 * An agent older than a call (its container image was built before it)
 * answers UNIMPLEMENTED. The host does not fall back to other calls: it
 * fails, naming what the agent lacks and what to do. Other errors pass as
 * they are.
 */
export function explainAgentTooOld(error: unknown, lacks: string): unknown {
  if (error instanceof AgentError && error.grpcCode === "UNIMPLEMENTED")
    return new AgentError(
      "UNIMPLEMENTED",
      `the bot's agent has no ${lacks}: its image predates this server; rebuild it (images/build-agent-image.sh) and restart the bot`,
      { cause: error },
    );
  return error;
}
