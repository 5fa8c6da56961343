import type { components } from "./gen/openapi.js";

/** The codes the API answers with in its error envelope (docs/server.md lists them). */
export type ApiErrorCode = components["schemas"]["Error"]["error"]["code"];

/**
 * The one error the SDK throws for a refused or failed call: the HTTP status
 * (0 when no answer came, or when a stream reported the failure after its
 * 200), the API's `code`, and its message. Match on `code`, never on text.
 */
export class BotboxApiError extends Error {
  override readonly name = "BotboxApiError";

  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const envelopeOf = (body: unknown): { code?: unknown; message?: unknown } | undefined =>
  body && typeof body === "object" && "error" in body && body.error && typeof body.error === "object"
    ? (body.error as { code?: unknown; message?: unknown })
    : undefined;

/**
 * The error an answer's body says. A body that is not the envelope (a proxy's
 * page, say) still gives an error: `internal` for a 5xx, else `bad_request`.
 */
export function apiErrorFromBody(status: number, body: unknown): BotboxApiError {
  const envelope = envelopeOf(body);
  const fallback: ApiErrorCode = status >= 500 ? "internal" : "bad_request";
  const code = typeof envelope?.code === "string" ? (envelope.code as ApiErrorCode) : fallback;
  const message =
    typeof envelope?.message === "string"
      ? envelope.message
      : typeof body === "string" && body
        ? body
        : `HTTP ${status}`;
  return new BotboxApiError(status, code, message);
}

/** The error of a response that is not ok, its body read as JSON when it is. */
export async function apiErrorOf(response: Response): Promise<BotboxApiError> {
  const text = await response.text().catch(() => "");
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the text is the message.
  }
  return apiErrorFromBody(response.status, body);
}
