import { AgentError, BotboxError, type BotboxErrorCode, RangeNotSatisfiableError } from "../errors.js";

/**
 * How any error becomes an HTTP answer, in one file: botbox errors by their
 * code (HTTP_STATUS), Fastify's and its plugins' own errors by theirs
 * (FRAMEWORK_ERRORS), agent failures by their gRPC status or system-call text
 * (AGENT_CODES, SYSTEM_ERRORS). Anything else is a 500 "internal" and logged.
 * docs/server.md lists the codes.
 */

/** The one table from botbox error codes to HTTP statuses. */
export const HTTP_STATUS: Record<BotboxErrorCode, number> = {
  bad_request: 400,
  name_too_long: 400,
  not_a_directory: 400,
  is_a_directory: 400,
  unauthenticated: 401,
  forbidden: 403,
  read_only: 403,
  not_found: 404,
  conflict: 409,
  bot_stopped: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  too_many_tunnels: 429,
  agent_error: 500,
  internal: 500,
  identity_mismatch: 502,
  port_unreachable: 502,
  unavailable: 503,
  no_space: 507,
};

/**
 * Fastify's and @fastify/multipart's errors a request can cause, by their
 * `code`, to botbox codes: the same condition answers the same code whichever
 * layer found it (a body over the limit is payload_too_large whether Fastify's
 * parser or a route's own count stopped it). Errors of a request body that
 * broke off (Node's stream codes) are the client's too. Fastify's codes that
 * only a wrong route definition raises are not here: those are 500s.
 */
export const FRAMEWORK_ERRORS: Record<string, BotboxErrorCode> = {
  FST_ERR_VALIDATION: "bad_request",
  FST_ERR_CTP_INVALID_JSON_BODY: "bad_request",
  FST_ERR_CTP_EMPTY_JSON_BODY: "bad_request",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "bad_request",
  FST_ERR_BAD_URL: "bad_request",
  FST_ERR_INVALID_URL: "bad_request",
  FST_ERR_NOT_FOUND: "not_found",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_MAX_PARAM_LENGTH: "uri_too_long",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  // @fastify/multipart
  FST_REQ_FILE_TOO_LARGE: "payload_too_large",
  FST_PARTS_LIMIT: "payload_too_large",
  FST_FILES_LIMIT: "payload_too_large",
  FST_FIELDS_LIMIT: "payload_too_large",
  FST_INVALID_MULTIPART_CONTENT_TYPE: "unsupported_media_type",
  FST_INVALID_JSON_FIELD_ERROR: "bad_request",
  FST_PROTO_VIOLATION: "bad_request",
  FST_MP_PREMATURE_CLOSE: "bad_request",
  // A request body cut off by its client.
  ECONNRESET: "bad_request",
  ECONNABORTED: "bad_request",
  ERR_STREAM_PREMATURE_CLOSE: "bad_request",
};

/**
 * Agent failures whose gRPC status says the request, not the server, was at
 * fault: without these rows they all answered 500.
 */
const AGENT_CODES: Record<string, BotboxErrorCode> = {
  // A message over gRPC's 4 MiB, e.g. a huge argument.
  RESOURCE_EXHAUSTED: "payload_too_large",
  ALREADY_EXISTS: "conflict",
  FAILED_PRECONDITION: "conflict",
  OUT_OF_RANGE: "bad_request",
  // The bot stopped or restarted under the request (an upload cut by a stop).
  CANCELLED: "bot_stopped",
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
const SYSTEM_ERRORS: { ending: string; code: BotboxErrorCode }[] = [
  { ending: ": name too long", code: "name_too_long" }, // ENAMETOOLONG
  { ending: ": file name too long", code: "name_too_long" }, // glibc's wording, from tools run in the bot
  { ending: ": read-only file system", code: "read_only" }, // EROFS
  { ending: ": no such file or directory", code: "not_found" }, // ENOENT
  { ending: ": not a directory", code: "not_a_directory" }, // ENOTDIR
  { ending: ": illegal operation on a directory", code: "is_a_directory" }, // EISDIR
  { ending: ": file already exists", code: "conflict" }, // EEXIST
  { ending: ": directory not empty", code: "conflict" }, // ENOTEMPTY
  { ending: ": permission denied", code: "forbidden" }, // EACCES
  { ending: ": operation not permitted", code: "forbidden" }, // EPERM
  { ending: ": too many symbolic links encountered", code: "bad_request" }, // ELOOP
  { ending: ": no space left on device", code: "no_space" }, // ENOSPC: the bot's disk quota
  { ending: ": disk quota exceeded", code: "no_space" }, // EDQUOT
];

export interface ErrorBody {
  error: { code: string; message: string };
}

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

function agentErrorCode(error: AgentError): BotboxErrorCode | undefined {
  const byStatus = AGENT_CODES[error.grpcCode];
  if (byStatus) return byStatus;
  if (error.grpcCode !== "INTERNAL") return undefined;
  const text = error.message.toLowerCase();
  return SYSTEM_ERRORS.find((row) => text.endsWith(row.ending))?.code;
}

/** The botbox code of a Fastify, plugin or body-stream error, by its own `code`. */
function frameworkErrorCode(error: unknown): BotboxErrorCode | undefined {
  if (!(error instanceof Error) || !("code" in error) || typeof error.code !== "string") return undefined;
  return Object.hasOwn(FRAMEWORK_ERRORS, error.code) ? FRAMEWORK_ERRORS[error.code] : undefined;
}

/**
 * Any error as a BotboxError: botbox's own as they are (an agent failure with
 * a telling status refined to its code), a framework error by the table, or
 * undefined for an unexpected failure.
 */
export function asBotboxError(error: unknown): BotboxError | undefined {
  if (error instanceof AgentError) {
    const code = agentErrorCode(error);
    return code ? new BotboxError(code, error.message, { cause: error }) : error;
  }
  if (error instanceof BotboxError) return error;
  const code = frameworkErrorCode(error);
  if (!code) return undefined;
  return new BotboxError(code, (error as Error).message, { cause: error });
}

/** The HTTP answer to an error: status, extra headers and the `{error: {code, message}}` body. */
export function errorResponse(error: unknown): ErrorAnswer {
  const mapped = asBotboxError(error);
  if (!mapped) return errorResponse(new BotboxError("internal", "internal error"));
  const headers: Record<string, string> =
    mapped instanceof RangeNotSatisfiableError ? { "content-range": `bytes */${mapped.sizeBytes}` } : {};
  return { status: HTTP_STATUS[mapped.code], headers, body: { error: { code: mapped.code, message: mapped.message } } };
}
