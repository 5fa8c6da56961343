import { type ApiError, apiErrorOf } from "./api-error";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Progress of an upload: bytes sent of the total. */
export type UploadProgress = (sent: number, total: number) => void;

/**
 * The HTTP API with one bearer token. Everything the console does goes
 * through here: the public API and nothing else.
 */
export class ApiClient {
  /**
   * Told when the API refuses the token itself (401: revoked, or the server
   * restarted with a new admin token): the session is over, and the console
   * goes back to sign-in instead of showing the same refusal on every page.
   */
  onUnauthorized?: (error: ApiError) => void;

  constructor(readonly token: string) {}

  /** The ApiError of a failed answer, telling onUnauthorized first when it is a 401. */
  #failure(status: number, statusText: string, bodyText: string): ApiError {
    const error = apiErrorOf(status, statusText, bodyText);
    if (status === 401) this.onUnauthorized?.(error);
    return error;
  }

  /** A JSON request; the parsed answer (undefined for 204), or an ApiError with the API's message. */
  async json<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw this.#failure(response.status, response.statusText, text);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /**
   * One JSON-RPC request to an MCP endpoint of the API (the tool gateway,
   * Streamable HTTP with JSON answers): its result, or its error as an Error.
   */
  async jsonRpc<T>(path: string, method: string, params: unknown = {}): Promise<T> {
    const response = await fetch(path, {
      method: "POST",
      headers: {
        authorization: `Bearer ${this.token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const text = await response.text();
    if (!response.ok) throw this.#failure(response.status, response.statusText, text);
    const answer = JSON.parse(text) as { result?: T; error?: { code: number; message: string } };
    if (answer.error) throw new Error(`${method}: ${answer.error.message} (JSON-RPC ${answer.error.code})`);
    return answer.result as T;
  }

  /**
   * Sends `body` as the raw request body with XMLHttpRequest, whose upload
   * events (which fetch lacks) report progress; the browser streams the
   * file from disk, never reading it into the page.
   */
  send<T>(
    method: Method,
    path: string,
    body: Blob,
    options: { contentType: string; onProgress?: UploadProgress; signal?: AbortSignal },
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open(method, path);
      request.setRequestHeader("authorization", `Bearer ${this.token}`);
      request.setRequestHeader("content-type", options.contentType);
      request.upload.onprogress = (event) => options.onProgress?.(event.loaded, event.total || body.size);
      request.onload = () => {
        if (request.status >= 200 && request.status < 300)
          resolve((request.responseText === "" ? undefined : JSON.parse(request.responseText)) as T);
        else reject(this.#failure(request.status, request.statusText, request.responseText));
      };
      request.onerror = () => reject(new Error(`the upload to ${path} failed: the connection broke`));
      request.onabort = () => reject(new DOMException("the upload was cancelled", "AbortError"));
      options.signal?.addEventListener("abort", () => request.abort(), { once: true });
      request.send(body);
    });
  }

  /**
   * Reads an NDJSON answer line by line as it arrives (a process's
   * output), calling `onLine` with each parsed line, until the answer ends
   * or `signal` aborts.
   */
  async followLines(path: string, onLine: (line: unknown) => void, signal: AbortSignal): Promise<void> {
    const response = await fetch(path, { headers: { authorization: `Bearer ${this.token}` }, signal });
    if (!response.ok || !response.body)
      throw this.#failure(response.status, response.statusText, await response.text());
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += value;
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line !== "") onLine(JSON.parse(line));
      }
    }
  }
}

/** A path segment of the API's URLs. */
export const segment = (value: string | number) => encodeURIComponent(String(value));
