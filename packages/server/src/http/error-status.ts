import { AgentError, BotboxError, type BotboxErrorCode } from "../errors.js";

/** The one table from botbox errors to HTTP statuses. */
const HTTP_STATUS: Record<BotboxErrorCode, number> = {
  not_found: 404,
  bad_request: 400,
  forbidden: 403,
  unauthenticated: 401,
  unavailable: 503,
  conflict: 409,
  identity_mismatch: 502,
  agent_error: 500,
};

/**
 * Agent failures whose gRPC status says the request, not the server, was at
 * fault: without these rows they all answered 500.
 */
const AGENT_STATUS: Record<string, { status: number; code: string }> = {
  // A message over gRPC's 4 MiB, e.g. a huge argument.
  RESOURCE_EXHAUSTED: { status: 413, code: "payload_too_large" },
  ALREADY_EXISTS: { status: 409, code: "conflict" },
  FAILED_PRECONDITION: { status: 409, code: "conflict" },
  OUT_OF_RANGE: { status: 400, code: "bad_request" },
  // The bot stopped or restarted under the request (an upload cut by a stop).
  CANCELLED: { status: 409, code: "bot_stopped" },
};

/**
 * The agent reports a failed system call as INTERNAL with the call, the path
 * and libuv's fixed description of the errno ("create /usr/x: read-only file
 * system"): the errno itself does not cross the channel. These endings are
 * libuv's strerror texts, stable across versions; each is the client's
 * mistake (a name too long, a read-only place) and answers 4xx. The agent
 * owner's better fix is the errno as a gRPC status or metadata; until then
 * this row list is the one place that reads it.
 */
const SYSTEM_ERRORS: { ending: string; status: number; code: string }[] = [
  { ending: ": name too long", status: 400, code: "name_too_long" }, // ENAMETOOLONG
  { ending: ": file name too long", status: 400, code: "name_too_long" }, // glibc's wording, from tools run in the bot
  { ending: ": read-only file system", status: 403, code: "read_only" }, // EROFS
  { ending: ": no such file or directory", status: 404, code: "not_found" }, // ENOENT
  { ending: ": not a directory", status: 400, code: "not_a_directory" }, // ENOTDIR
  { ending: ": illegal operation on a directory", status: 400, code: "is_a_directory" }, // EISDIR
  { ending: ": file already exists", status: 409, code: "conflict" }, // EEXIST
  { ending: ": directory not empty", status: 409, code: "conflict" }, // ENOTEMPTY
  { ending: ": permission denied", status: 403, code: "forbidden" }, // EACCES
  { ending: ": operation not permitted", status: 403, code: "forbidden" }, // EPERM
  { ending: ": too many symbolic links encountered", status: 400, code: "bad_request" }, // ELOOP
  { ending: ": no space left on device", status: 507, code: "no_space" }, // ENOSPC: the bot's disk quota
  { ending: ": disk quota exceeded", status: 507, code: "no_space" }, // EDQUOT
];

export interface ErrorBody {
  error: { code: string; message: string };
}

function agentErrorStatus(error: AgentError): { status: number; code: string } | undefined {
  const byStatus = AGENT_STATUS[error.grpcCode];
  if (byStatus) return byStatus;
  if (error.grpcCode !== "INTERNAL") return undefined;
  const text = error.message.toLowerCase();
  return SYSTEM_ERRORS.find((row) => text.endsWith(row.ending));
}

export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AgentError) {
    const mapped = agentErrorStatus(error);
    if (mapped) return { status: mapped.status, body: { error: { code: mapped.code, message: error.message } } };
  }
  if (error instanceof BotboxError) {
    return { status: HTTP_STATUS[error.code], body: { error: { code: error.code, message: error.message } } };
  }
  return { status: 500, body: { error: { code: "internal", message: "internal error" } } };
}
