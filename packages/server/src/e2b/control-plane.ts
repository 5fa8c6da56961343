import type { IncomingMessage, ServerResponse } from "node:http";

import type { Logger } from "pino";

import { BadRequestError, NotFoundError, UnauthenticatedError } from "../errors.js";
import type { Principal } from "../http/auth.js";
import { tokenFromE2bKey } from "./api-key.js";
import { readJsonBody, sendE2bError, sendJson, UnsupportedE2bError } from "./e2b-errors.js";
import type { SandboxListFilter, SandboxRegistry } from "./sandboxes.js";

/** Where E2B_API_URL points: `<server>/e2b`. */
export const CONTROL_PLANE_PREFIX = "/e2b";

export interface ControlPlaneOptions {
  sandboxes: SandboxRegistry;
  /** botbox's bearer check: who a token acts for, or an UnauthenticatedError. */
  authenticate: (authorization: string | undefined) => Promise<Principal>;
  logger: Logger;
}

type Handler = (input: { principal: Principal; id: string; request: IncomingMessage }) => Promise<[number, unknown]>;

/**
 * `Sandbox.list({ query })`'s filters as the SDK sends them: `metadata` a
 * URL-encoded `k=v&…` of URL-encoded pairs, `state` a comma list, `template`
 * and `startedAfter` (ISO time). All of them are applied, never ignored.
 */
function listFilter(query: URLSearchParams): SandboxListFilter {
  const metadata = query.get("metadata");
  const state = query.get("state");
  const startedAfter = query.get("startedAfter");
  const after = startedAfter ? new Date(startedAfter) : undefined;
  if (after && Number.isNaN(after.getTime())) throw new BadRequestError("startedAfter: must be an ISO date and time");
  const states = state ? state.split(",").filter(Boolean) : undefined;
  for (const one of states ?? [])
    if (one !== "running" && one !== "paused")
      throw new BadRequestError(`state: "running" or "paused", not ${JSON.stringify(one)}`);
  return {
    ...(metadata
      ? {
          metadata: Object.fromEntries(
            [...new URLSearchParams(metadata)].map(([key, value]) => [
              decodeURIComponent(key),
              decodeURIComponent(value),
            ]),
          ),
        }
      : {}),
    ...(states ? { states } : {}),
    ...(query.get("template") ? { template: query.get("template")! } : {}),
    ...(after ? { startedAfter: after } : {}),
  };
}

/** E2B's control-plane calls botbox answers; everything else gets E2B's error shape (501 or 404). */
function routeTable(sandboxes: SandboxRegistry): Array<[string, RegExp, Handler]> {
  const create: Handler = async ({ principal, request }) => [
    201,
    await sandboxes.create(principal, await readJsonBody(request)),
  ];
  const list: Handler = async ({ principal, request }) => [
    200,
    await sandboxes.list(principal, listFilter(new URL(request.url ?? "/", "http://e2b.invalid").searchParams)),
  ];
  const connect: Handler = async ({ principal, id, request }) => {
    const { timeout } = await readJsonBody(request);
    return [200, await sandboxes.connect(principal, id, timeout)];
  };
  const unsupported =
    (what: string, instead?: string): Handler =>
    async () => {
      throw new UnsupportedE2bError(what, instead);
    };
  const one = /^\/sandboxes\/([^/]+)$/;
  return [
    ["POST", /^\/(?:v2\/)?sandboxes$/, create],
    ["GET", /^\/(?:v2\/)?sandboxes$/, list],
    ["GET", one, async ({ principal, id }) => [200, await sandboxes.get(principal, id)]],
    ["DELETE", one, async ({ principal, id }) => [204, await sandboxes.kill(principal, id)]],
    [
      "POST",
      /^\/sandboxes\/([^/]+)\/timeout$/,
      async ({ principal, id, request }) => [
        204,
        await sandboxes.setTimeout(principal, id, (await readJsonBody(request)).timeout),
      ],
    ],
    ["POST", /^\/(?:v2\/)?sandboxes\/([^/]+)\/(?:connect|resume)$/, connect],
    ["POST", /^\/sandboxes\/([^/]+)\/pause$/, unsupported("pausing a sandbox", "its memory cannot be kept")],
    ["POST", /^\/sandboxes\/([^/]+)\/fork$/, unsupported("forking a sandbox")],
    [
      "POST",
      /^\/sandboxes\/([^/]+)\/snapshots$/,
      unsupported("E2B snapshots", "botbox has its own: docs/reference.md#snapshots"),
    ],
    ["PUT", /^\/sandboxes\/([^/]+)\/network$/, unsupported("changing a sandbox's network")],
    ["GET", /^\/(?:v2\/)?sandboxes\/([^/]+)\/(?:metrics|logs)$/, unsupported("sandbox metrics and logs")],
    ["GET", /^\/sandboxes\/metrics$/, unsupported("sandbox metrics and logs")],
    // Template.exists(name): whether `[e2b] templates` has it (E2B answers 404 for an unknown alias).
    [
      "GET",
      /^\/templates\/aliases\/([^/]+)$/,
      async ({ id }) => {
        if (!sandboxes.hasTemplate(id)) throw new NotFoundError(`template ${JSON.stringify(id)} not found`);
        return [200, { templateID: id, public: false }];
      },
    ],
    [
      "*",
      /^\/(?:v\d\/)?templates(?:\/.*)?$/,
      unsupported("building and managing templates", "map template names to images in [e2b] templates"),
    ],
    ["*", /^\/snapshots(?:\/.*)?$/, unsupported("E2B snapshots", "botbox has its own: docs/reference.md#snapshots")],
    ["*", /^\/volumes?(?:content)?(?:\/.*)?$/, unsupported("E2B volumes")],
    ["*", /^\/secrets(?:\/.*)?$/, unsupported("E2B secrets")],
  ];
}

/**
 * E2B's control plane under /e2b: sandboxes as botbox bots (sandboxes.ts).
 * A plain Node handler, not Fastify routes: it answers in E2B's shapes and
 * with E2B's auth header (`X-API-KEY`), which botbox's API does not take.
 */
export function controlPlaneHandler(options: ControlPlaneOptions) {
  const routes = routeTable(options.sandboxes);
  return async (request: IncomingMessage, response: ServerResponse, subPath: string): Promise<void> => {
    try {
      const key = request.headers["x-api-key"];
      if (typeof key !== "string" || key.trim() === "")
        throw new UnauthenticatedError("missing API key: set E2B_API_KEY to the key `botbox e2b-key` prints");
      const principal = await options.authenticate(`Bearer ${tokenFromE2bKey(key)}`);
      const pathname = subPath.split("?")[0] ?? "";
      for (const [method, pattern, handler] of routes) {
        const match = pattern.exec(pathname);
        if (!match || (method !== "*" && request.method !== method)) continue;
        const id = decodeURIComponent(match[1] ?? "");
        const [status, body] = await handler({ principal, id, request });
        sendJson(response, status, status === 204 ? undefined : body);
        return;
      }
      throw new NotFoundError(`no E2B API route ${request.method} ${pathname}`);
    } catch (error) {
      sendE2bError(response, error, options.logger);
    }
  };
}
