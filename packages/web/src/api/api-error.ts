/** An answer of the API that is not a success, with the API's own code and message (docs/server.md, "Errors"). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The ApiError of a failed response: the API's `{error: {code, message}}`, or the status line when the body is not that. */
export function apiErrorOf(status: number, statusText: string, bodyText: string): ApiError {
  try {
    const body = JSON.parse(bodyText) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = body.error ?? {};
    if (typeof message === "string") return new ApiError(status, typeof code === "string" ? code : "error", message);
  } catch {
    // Not JSON (a proxy's page, say): the status line below says what there is to say.
  }
  const text = bodyText.trim().slice(0, 200);
  return new ApiError(status, "http_error", `${status} ${statusText}${text ? `: ${text}` : ""}`);
}

/** What to show for any thrown value. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.status} ${error.code})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
