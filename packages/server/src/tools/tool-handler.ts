import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";

import type { AgentClient } from "../client/index.js";
import type { ToolArgs } from "./args.js";

export interface ToolSettings {
  /** The data folder: the exec default work dir and the root of normalised paths. */
  dataDir: string;
  execTimeout: { defaultSeconds: number; maxSeconds: number };
  backgroundOnTimeout: boolean;
  logger?: Logger;
}

/**
 * A tool in two steps: checking the arguments (which throws
 * ToolArgumentError and touches nothing) gives the action to run against the
 * bot's agent.
 */
export type ToolHandler = (args: ToolArgs, settings: ToolSettings) => (client: AgentClient) => Promise<CallToolResult>;
