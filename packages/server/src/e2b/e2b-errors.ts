import type { IncomingMessage, ServerResponse } from "node:http";

import type { Logger } from "pino";

import { BadRequestError, BotboxError, PayloadTooLargeError } from "../errors.js";
import { errorResponse } from "../http/error-status.js";

/** A request for something E2B has and botbox's front end does not: E2B's error shape, 501. */
export class UnsupportedE2bError extends BotboxError {
  /** `what` names the feature; `instead`, if any, says what botbox offers in its place. */
  constructor(what: string, instead?: string) {
    super(
      "bad_request",
      `${what} is not supported by botbox's E2B front end${instead ? `; ${instead}` : ""} (docs/e2b.md)`,
    );
    this.name = "UnsupportedE2bError";
  }
}

/** Any error as E2B's control plane answers one: the HTTP status and `{ code, message }`. */
export function e2bErrorBody(error: unknown): { status: number; body: { code: number; message: string } } {
  if (error instanceof UnsupportedE2bError) return { status: 501, body: { code: 501, message: error.message } };
  const { status, body } = errorResponse(error);
  return { status, body: { code: status, message: body.error.message } };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  response.writeHead(status, {
    ...(text === "" ? {} : { "content-type": "application/json; charset=utf-8" }),
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

export function sendE2bError(response: ServerResponse, error: unknown, logger: Logger): void {
  const { status, body } = e2bErrorBody(error);
  if (status >= 500 && status !== 501) logger.error({ err: error }, "E2B front-end request failed");
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, status, body);
}

/** A JSON request body of at most `maxBytes`; an empty body is `{}`. */
export async function readJsonBody(request: IncomingMessage, maxBytes = 64 * 1024): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new PayloadTooLargeError(`request body is over ${maxBytes} bytes`);
    parts.push(chunk);
  }
  const text = Buffer.concat(parts).toString("utf8").trim();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError("request body: not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new BadRequestError("request body: must be a JSON object");
  return value as Record<string, unknown>;
}
