/**
 * The one table from Docker Engine API failures to botbox's errors. dockerode
 * rejects with an Error carrying the HTTP `statusCode` of the API's answer, or
 * a socket error `code` when the daemon cannot be reached.
 */
import { BadRequestError, BotboxError, ConflictError, NotFoundError, UnavailableError } from "../../errors.js";

interface DockerFailure {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  message?: string;
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

export function dockerError(error: unknown, what: string): Error {
  if (error instanceof BotboxError) return error;
  const failure = (error ?? {}) as DockerFailure;
  const reason = failure.json?.message ?? failure.message ?? String(error);
  const message = `${what}: ${reason}`;
  switch (failure.statusCode) {
    case 404:
      return new NotFoundError(message, { cause: error });
    case 409:
      return new ConflictError(message, { cause: error });
    case 400:
      return new BadRequestError(message, { cause: error });
  }
  if (failure.code && UNREACHABLE.has(failure.code))
    return new UnavailableError(`${what}: the Docker daemon cannot be reached (${failure.code})`, { cause: error });
  return new UnavailableError(message, { cause: error });
}

/** Runs one API call and translates its failure. */
export async function docker<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw dockerError(error, what);
  }
}

/** Like `docker`, but a 404 gives undefined. */
export async function dockerOrMissing<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if ((error as DockerFailure | undefined)?.statusCode === 404) return undefined;
    throw dockerError(error, what);
  }
}
