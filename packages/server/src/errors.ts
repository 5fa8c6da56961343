/**
 * botbox's errors: one small tree with a readonly string `code`. Callers match
 * on the class or the code, never on message text. The client maps gRPC
 * statuses into these (client/error-mapping.ts); http/error-status.ts holds
 * the one table from these codes to HTTP statuses.
 */
export const BOTBOX_ERROR_CODES = [
  "not_found",
  "bad_request",
  "forbidden",
  "unauthenticated",
  "unavailable",
  "conflict",
  "identity_mismatch",
  "agent_error",
  "payload_too_large",
  "unsupported_media_type",
  "range_not_satisfiable",
  "uri_too_long",
  // A bot's port: nothing answers on it (502), or the bot has too many tunnels open (429).
  "port_unreachable",
  "too_many_tunnels",
  // An unexpected failure: the HTTP layer answers it without detail.
  "internal",
  // Codes the HTTP layer reads out of an agent failure (http/error-status.ts).
  "bot_stopped",
  "name_too_long",
  "read_only",
  "not_a_directory",
  "is_a_directory",
  "no_space",
] as const;

export type BotboxErrorCode = (typeof BOTBOX_ERROR_CODES)[number];

/** True for a code botbox answers with, e.g. one read back from an HTTP error body. */
export const isBotboxErrorCode = (value: unknown): value is BotboxErrorCode =>
  (BOTBOX_ERROR_CODES as readonly unknown[]).includes(value);

export class BotboxError extends Error {
  readonly code: BotboxErrorCode;

  constructor(code: BotboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class NotFoundError extends BotboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("not_found", message, options);
  }
}

export class BadRequestError extends BotboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("bad_request", message, options);
  }
}

export class ForbiddenError extends BotboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("forbidden", message, options);
  }
}

export class UnauthenticatedError extends BotboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("unauthenticated", message, options);
  }
}

export class UnavailableError extends BotboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("unavailable", message, options);
  }
}

/**
 * A bot's workspace (its agent) cannot be had: stopped, starting, gone, or
 * its channel failed. The one policy for every route family and the LLM
 * tools: unavailable (503) with the reason, whatever the lookup threw.
 */
export class WorkspaceUnreachableError extends UnavailableError {
  constructor(
    readonly botId: string,
    cause: unknown,
  ) {
    super(`container not reachable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Runs `lookup` (a bot's agent client); any failure becomes a WorkspaceUnreachableError. */
export async function reachWorkspace<T>(botId: string, lookup: (botId: string) => Promise<T>): Promise<T> {
  try {
    return await lookup(botId);
  } catch (error) {
    if (error instanceof WorkspaceUnreachableError) throw error;
    throw new WorkspaceUnreachableError(botId, error);
  }
}

/** A body, file or archive over a size limit; the message names the limit. */
export class PayloadTooLargeError extends BotboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("payload_too_large", message, options);
  }
}

/** Content of a kind the route does not take or give (binary where text is read, an unknown body type). */
export class UnsupportedMediaTypeError extends BotboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("unsupported_media_type", message, options);
  }
}

/** A byte range outside the file; the HTTP layer says the file's size in Content-Range. */
export class RangeNotSatisfiableError extends BotboxError {
  constructor(
    readonly sizeBytes: number,
    message: string,
  ) {
    super("range_not_satisfiable", message);
  }
}

/** Nothing answered on a port in the bot, or its connection failed: the reason is the agent's. */
export class PortUnreachableError extends BotboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("port_unreachable", message, options);
  }
}

/** A bot already has as many port tunnels open as the server allows. */
export class TooManyTunnelsError extends BotboxError {
  constructor(message: string) {
    super("too_many_tunnels", message);
  }
}

/** Something already exists, or is in a state that forbids the operation. */
export class ConflictError extends BotboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("conflict", message, options);
  }
}

/** A channel reached an agent that serves another bot (the original, routing by a cached IP, could not tell). */
export class IdentityMismatchError extends BotboxError {
  constructor(
    readonly expectedBotId: string,
    readonly actualBotId: string,
  ) {
    super(
      "identity_mismatch",
      `agent serves bot ${JSON.stringify(actualBotId)}, expected ${JSON.stringify(expectedBotId)}`,
    );
  }
}

/** Any other failure the agent reported, with the gRPC status name it used. */
export class AgentError extends BotboxError {
  constructor(
    readonly grpcCode: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("agent_error", message, options);
  }
}
