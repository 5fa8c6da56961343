import { BotboxError, type BotboxErrorCode } from "../errors.js";

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

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof BotboxError) {
    return { status: HTTP_STATUS[error.code], body: { error: { code: error.code, message: error.message } } };
  }
  return { status: 500, body: { error: { code: "internal", message: "internal error" } } };
}
