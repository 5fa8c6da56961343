import type { McpError } from "@modelcontextprotocol/sdk/types.js";

import { BadRequestError } from "../errors.js";

export type JsonRpcId = string | number;

/** JSON-RPC's "Internal error" (the SDK's INTERNAL_ERROR, without loading the SDK). */
const INTERNAL_ERROR = -32603;

/** What a caller hands to `StdioSession.call`: a JSON-RPC request as received, unchecked. */
export interface JsonRpcCallRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/** `call` always answers with a whole JSON-RPC response (docs/reference.md#jsonrpc-envelope). */
export type JsonRpcEnvelope = JsonRpcResultEnvelope | JsonRpcErrorEnvelope;

export interface JsonRpcResultEnvelope {
  jsonrpc: "2.0";
  id: JsonRpcId;
  result: unknown;
}

export interface JsonRpcErrorEnvelope {
  jsonrpc: "2.0";
  id: JsonRpcId | null;
  error: { code: number; message: string };
}

/** The caller's raw id, kept as given: string "1" and number 1 are different ids. */
export function requestIdOf(request: JsonRpcCallRequest): JsonRpcId {
  const { id } = request;
  if (id === undefined || id === null) throw new BadRequestError("missing request id");
  if (typeof id === "string" || (typeof id === "number" && Number.isFinite(id))) return id;
  throw new BadRequestError("request id must be a string or a number");
}

export function resultEnvelope(id: JsonRpcId, result: unknown): JsonRpcResultEnvelope {
  return { jsonrpc: "2.0", id, result: result ?? null };
}

/** The code defaults to -32603 and the message, trimmed, to "internal error"; `data` is dropped. */
export function errorEnvelope(id: JsonRpcId | null, code: unknown, message: unknown): JsonRpcErrorEnvelope {
  const text = typeof message === "string" ? message.trim() : "";
  return {
    jsonrpc: "2.0",
    id,
    error: {
      code: typeof code === "number" && Number.isInteger(code) ? code : INTERNAL_ERROR,
      message: text === "" ? "internal error" : text,
    },
  };
}

/** The server's error as it came over the wire. */
export function mcpErrorEnvelope(id: JsonRpcId, error: McpError): JsonRpcErrorEnvelope {
  return errorEnvelope(id, error.code, serverMessageOf(error));
}

/**
 * McpError prefixes the server's message with `MCP error <code>: `; the
 * envelope carries the server's own words.
 */
export function serverMessageOf(error: McpError): string {
  const prefix = `MCP error ${error.code}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}
