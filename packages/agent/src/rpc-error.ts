import { status } from "@grpc/grpc-js";

/**
 * An error a handler throws to end a call with a specific gRPC status.
 * Anything else a handler throws becomes INTERNAL.
 */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

export const invalidArgument = (message: string) => new RpcError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new RpcError(status.NOT_FOUND, message);
export const internal = (message: string) => new RpcError(status.INTERNAL, message);

/**
 * Node's fs errors read "ENOENT: no such file or directory, open '/x'". The
 * original agent's messages read like Go's "open /x: no such file or
 * directory", and clients show them to people and LLMs, so keep that shape.
 */
export function describeSystemError(operation: string, path: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^[A-Z0-9_]+: ([^,]+)/.exec(message);
  return `${operation} ${path}: ${match?.[1] ?? message}`;
}

export { errorCode } from "./error-code.js";
