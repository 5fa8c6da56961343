/**
 * A refusal with an HTTP status botbox's error tree has no class for (413,
 * 415, 416): these belong to the file manager's HTTP face, not to the agent.
 */
export class HttpStatusError extends Error {
  constructor(
    readonly statusCode: 413 | 415 | 416,
    readonly code: "payload_too_large" | "unsupported_media_type" | "range_not_satisfiable",
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpStatusError";
  }
}

export const tooLarge = (message: string) => new HttpStatusError(413, "payload_too_large", message);
