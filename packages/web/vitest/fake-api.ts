import { vi } from "vitest";

/** One request the console sent, as the fake server saw it. */
export interface SeenRequest {
  method: string;
  /** Path and query, as the console wrote them. */
  url: string;
  authorization: string | null;
  body: unknown;
}

type Answer = Response | Promise<Response>;
type Handler = (request: SeenRequest) => Answer;

/** A JSON answer of the API. */
export const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** A streamed NDJSON answer of these events, one chunk each, as a followed stream sends them. */
export const ndjson = (events: unknown[]) =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const event of events) controller.enqueue(new TextEncoder().encode(`${JSON.stringify(event)}\n`));
        controller.close();
      },
    }),
  );

/** An error answer in the API's own shape (docs/server.md, "Errors"). */
export const apiError = (status: number, code: string, message: string) => json({ error: { code, message } }, status);

/**
 * A stand-in for `botbox serve` in component tests: `fetch` answers from a
 * table of routes and records every request. The real server is covered by
 * the Chromium suite (test/web); here the point is what the console does
 * with each answer. A request no route expects answers 404 in the API's
 * shape, so a wrong URL shows up as a failed assertion, not a hang.
 */
export class FakeApi {
  readonly requests: SeenRequest[] = [];
  readonly #routes: { method: string; url: string | RegExp; handler: Handler }[] = [];

  constructor() {
    vi.stubGlobal("fetch", (input: string, init: RequestInit = {}) => this.#answer(input, init));
  }

  /**
   * Answers `method url` (exact path and query, or a pattern) with a
   * handler, a Response (a copy each time) or a JSON body; later routes win.
   */
  on(method: string, url: string | RegExp, answer: Handler | Response | object): this {
    const asHandler: Handler =
      typeof answer === "function"
        ? (answer as Handler)
        : answer instanceof Response
          ? () => answer.clone()
          : () => json(answer);
    this.#routes.unshift({ method, url, handler: asHandler });
    return this;
  }

  /** The requests sent to `method` and a path starting with `prefix`. */
  sent(method: string, prefix: string): SeenRequest[] {
    return this.requests.filter((request) => request.method === method && request.url.startsWith(prefix));
  }

  async #answer(url: string, init: RequestInit): Promise<Response> {
    const method = init.method ?? "GET";
    const text = typeof init.body === "string" ? init.body : undefined;
    const headers = new Headers(init.headers);
    const request: SeenRequest = {
      method,
      url,
      authorization: headers.get("authorization"),
      body: text === undefined ? undefined : JSON.parse(text),
    };
    this.requests.push(request);
    const route = this.#routes.find(
      (candidate) =>
        candidate.method === method &&
        (typeof candidate.url === "string" ? candidate.url === url : candidate.url.test(url)),
    );
    if (!route) return apiError(404, "not_found", `no route ${method} ${url} in this test's fake API`);
    return route.handler(request);
  }
}
