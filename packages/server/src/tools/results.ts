import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

import {
  AgentError,
  BotboxError,
  UnauthenticatedError,
  UnavailableError,
  WorkspaceUnreachableError,
} from "../errors.js";

/** Structured content, mirrored as JSON text for clients that only read text. */
export function toolResult(structured: Record<string, unknown>): CallToolResult {
  return { structuredContent: structured, content: [{ type: "text", text: JSON.stringify(structured) }] };
}

export function toolError(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: message || "tool execution failed" }] };
}

/**
 * The text an LLM sees for a failure. botbox errors already read well ("not
 * found: open /data/x: no such file or directory"); an unmapped agent status
 * loses its "grpc INTERNAL:" prefix, which means nothing to a model (the
 * original passed raw gRPC strings through).
 */
export function describeFailure(error: unknown): string {
  // Its message already says so, with the reason.
  if (error instanceof WorkspaceUnreachableError) return error.message;
  if (error instanceof UnavailableError) return `container not reachable: ${error.message}`;
  if (error instanceof UnauthenticatedError) return `container rejected the call: ${error.message}`;
  if (error instanceof AgentError) return `agent error: ${statusDetails(error) ?? error.message}`;
  if (error instanceof BotboxError || error instanceof Error) return error.message;
  return String(error);
}

function statusDetails(error: AgentError): string | undefined {
  const cause = error.cause;
  if (typeof cause === "object" && cause !== null && "details" in cause && typeof cause.details === "string") {
    return cause.details || undefined;
  }
  return undefined;
}
