import { status } from "@grpc/grpc-js";

import {
  AgentError,
  BadRequestError,
  type BotboxError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  UnavailableError,
} from "../errors.js";

interface StatusError extends Error {
  code: status;
  details: string;
}

function isStatusError(error: unknown): error is StatusError {
  return error instanceof Error && "code" in error && typeof error.code === "number" && "details" in error;
}

type Make = (details: string, cause: StatusError) => BotboxError;

/** The one table from gRPC status to botbox errors: the original's, plus UNAUTHENTICATED and ALREADY_EXISTS. */
const BY_STATUS: Partial<Record<status, Make>> = {
  [status.NOT_FOUND]: (details, cause) => new NotFoundError(`not found: ${details}`, { cause }),
  [status.INVALID_ARGUMENT]: (details, cause) => new BadRequestError(`invalid argument: ${details}`, { cause }),
  [status.PERMISSION_DENIED]: (details, cause) => new ForbiddenError(`permission denied: ${details}`, { cause }),
  [status.UNAUTHENTICATED]: (details, cause) => new UnauthenticatedError(`unauthenticated: ${details}`, { cause }),
  [status.UNAVAILABLE]: (details, cause) => new UnavailableError(`unavailable: ${details}`, { cause }),
  [status.ABORTED]: (details, cause) => new UnavailableError(`unavailable: ${details}`, { cause }),
  // WriteRawNoFollow without `replace` over an existing file.
  [status.ALREADY_EXISTS]: (details, cause) => new ConflictError(`already exists: ${details}`, { cause }),
};

/** Maps a gRPC status error; anything else (already mapped, or not from gRPC) passes through. */
export function mapGrpcError(error: unknown): unknown {
  if (!isStatusError(error)) return error;
  const make = BY_STATUS[error.code];
  if (make) return make(error.details, error);
  const name = status[error.code] ?? String(error.code);
  return new AgentError(name, `grpc ${name}: ${error.details}`, { cause: error });
}
