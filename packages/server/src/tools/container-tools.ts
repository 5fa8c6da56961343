import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";

import type { AgentClient } from "../client/index.js";
import { BotboxError, type BotboxErrorCode, NotFoundError, reachWorkspace } from "../errors.js";
import { EditError } from "./apply-edit.js";
import { ToolArgumentError } from "./args.js";
import { toolDescriptors, type ToolName } from "./descriptors.js";
import { execTool } from "./exec-tool.js";
import { editTool, listTool, readTool, writeTool } from "./file-tools.js";
import { jobsTool } from "./jobs-tool.js";
import { describeFailure, toolError } from "./results.js";
import type { ToolHandler, ToolSettings } from "./tool-handler.js";

export interface ContainerToolsOptions {
  /** The agent client of a bot; a failure becomes the tool error "container not reachable: …". */
  clients: (botId: string) => Promise<AgentClient>;
  /** The data folder as the agent sees it: exec's default work dir and the root paths are normalised against. Default "/data". */
  execWorkDir?: string;
  /** Exec's timeout: the default, and the largest a call may ask for. Default 30 s and 600 s. */
  execTimeout?: { defaultSeconds: number; maxSeconds: number };
  /** A foreground command still running at its timeout becomes a background job instead of being killed. Default true. */
  backgroundOnTimeout?: boolean;
  logger?: Logger;
}

/** Thrown for a tool this provider does not have, so a gateway can ask another provider. */
export class ToolNotFoundError extends NotFoundError {
  constructor(readonly toolName: string) {
    super(`tool not found: ${toolName}`);
  }
}

const ROUTINE_CODES = new Set<BotboxErrorCode>([
  "not_found",
  "bad_request",
  "forbidden",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
]);

const HANDLERS: Record<ToolName, ToolHandler> = {
  read: readTool,
  write: writeTool,
  list: listTool,
  edit: editTool,
  exec: execTool,
  jobs: jobsTool,
};

/** The LLM-facing tools over a bot's workspace: read, write, list, edit, exec and jobs. */
export class ContainerTools {
  private readonly settings: ToolSettings;
  private readonly descriptors: Tool[];

  constructor(private readonly options: ContainerToolsOptions) {
    const execTimeout = options.execTimeout ?? { defaultSeconds: 30, maxSeconds: 600 };
    const { defaultSeconds, maxSeconds } = execTimeout;
    if (
      !Number.isInteger(defaultSeconds) ||
      !Number.isInteger(maxSeconds) ||
      defaultSeconds < 1 ||
      maxSeconds < defaultSeconds
    ) {
      throw new RangeError(
        `execTimeout must be whole seconds with 1 <= defaultSeconds <= maxSeconds, got ${JSON.stringify(execTimeout)}`,
      );
    }
    this.settings = {
      dataDir: options.execWorkDir ?? "/data",
      execTimeout,
      backgroundOnTimeout: options.backgroundOnTimeout ?? true,
      logger: options.logger,
    };
    this.descriptors = toolDescriptors(this.settings);
  }

  listTools(): Tool[] {
    return structuredClone(this.descriptors);
  }

  /**
   * Runs a tool. Every failure (bad arguments, an unreachable container, an
   * agent error) is a tool result with isError; only an unknown tool name throws.
   */
  async callTool(botId: string, name: string, args: Record<string, unknown> | undefined): Promise<CallToolResult> {
    if (!Object.hasOwn(HANDLERS, name)) throw new ToolNotFoundError(name);
    const handler = HANDLERS[name as ToolName];
    if (botId.trim() === "") return toolError("bot_id is required");
    const log = this.settings.logger?.child({ botId, tool: name });
    let run: (client: AgentClient) => Promise<CallToolResult>;
    try {
      run = handler(args ?? {}, this.settings);
    } catch (error) {
      if (error instanceof ToolArgumentError) return toolError(error.message);
      throw error;
    }
    let client: AgentClient;
    try {
      client = await reachWorkspace(botId.trim(), this.options.clients);
    } catch (error) {
      log?.warn({ err: error }, "tool call: container not reachable");
      return toolError(describeFailure(error));
    }
    try {
      return await run(client);
    } catch (error) {
      // The LLM's own mistakes (a missing file, text not found) are routine;
      // failures of the agent or the transport are worth a warning.
      const routine = error instanceof EditError || (error instanceof BotboxError && ROUTINE_CODES.has(error.code));
      if (routine) log?.debug({ err: error }, "tool call failed");
      else log?.warn({ err: error }, "tool call failed");
      return toolError(describeFailure(error));
    }
  }
}
