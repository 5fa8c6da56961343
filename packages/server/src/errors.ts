/**
 * botbox's errors: one small tree with a readonly string `code`. Callers match
 * on the class or the code, never on message text. The client maps gRPC
 * statuses into these (client/error-mapping.ts); the HTTP layer maps these to
 * HTTP statuses.
 */
export type BotboxErrorCode =
  | "not_found"
  | "bad_request"
  | "forbidden"
  | "unauthenticated"
  | "unavailable"
  | "conflict"
  | "identity_mismatch"
  | "agent_error";

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

/** Something already exists, or is in a state that forbids the operation. */
export class ConflictError extends BotboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("conflict", message, options);
  }
}

/** A channel reached an agent that serves another bot (spec 12.1.2). */
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
