/**
 * Feeds `botbox_exec_duration_seconds` from the exec paths that are not the
 * HTTP exec routes (those are timed as requests, server-metrics.ts): the LLM
 * tools' `exec` and E2B's `process.Process/Start`. Both are timed where the
 * server composes them (composition/compose-server.ts), so neither the
 * tools nor the E2B front end depend on the metrics.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

import type { ServerMetrics } from "./server-metrics.js";

/** envd's Connect path for starting a command: a server stream that lasts until the command ends (or is detached). */
export const E2B_EXEC_PATH = "/process.Process/Start";

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/** Times an E2B request that starts a command, from its arrival to the end of its answer's stream. */
export function timeE2bExec(request: IncomingMessage, response: ServerResponse, metrics: ServerMetrics): void {
  const path = (request.url ?? "").split("?")[0]!;
  if (request.method !== "POST" || !path.endsWith(E2B_EXEC_PATH)) return;
  const started = process.hrtime.bigint();
  response.once("close", () => metrics.observeExec("e2b", seconds(started)));
}

/** Anything with the tool gateway's `callTool` (tools/container-tools.ts). */
interface ToolCaller {
  callTool(botId: string, name: string, args: Record<string, unknown> | undefined): Promise<unknown>;
}

/**
 * Times the `exec` tool's calls on `tools` (every other tool passes through
 * untimed). Replaces the instance's method rather than wrapping the object,
 * so the gateway keeps the one instance with its type.
 */
export function timeExecTool<T extends ToolCaller>(tools: T, metrics: ServerMetrics): T {
  const callTool = tools.callTool.bind(tools);
  tools.callTool = async (botId, name, args) => {
    if (name !== "exec") return callTool(botId, name, args);
    const started = process.hrtime.bigint();
    try {
      return await callTool(botId, name, args);
    } finally {
      metrics.observeExec("tool", seconds(started));
    }
  };
  return tools;
}
