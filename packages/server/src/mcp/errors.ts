import { BadRequestError, UnavailableError } from "../errors.js";

/**
 * The session ended: its server exited or crashed, its exec stream failed, or
 * it was closed (by a caller, idle reaping, or its bot stopping). Every call
 * still waiting, and every later one, fails with this.
 */
export class McpSessionClosedError extends UnavailableError {
  constructor(
    message: string,
    /** The server's exit code, when it exited on its own. */
    readonly exitCode?: number,
    /** Its last stderr lines, oldest first. */
    readonly stderrTail: readonly string[] = [],
  ) {
    super(message);
  }
}

/** No answer within the call's time (which progress notifications extend). */
export class McpTimeoutError extends UnavailableError {
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`mcp request ${method} got no answer within ${timeoutMs} ms`);
  }
}

/** The caller withdrew the request (notifications/cancelled). */
export class McpCancelledError extends UnavailableError {
  constructor(readonly method: string) {
    super(`mcp request ${method} was cancelled`);
  }
}

/**
 * The server answered a helper's request (listTools, callTool) with a
 * JSON-RPC error. `call` never throws this: it returns an error envelope.
 */
export class McpServerError extends BadRequestError {
  constructor(
    readonly rpcCode: number,
    readonly rpcMessage: string,
  ) {
    super(`mcp server error ${rpcCode}: ${rpcMessage}`);
  }
}
