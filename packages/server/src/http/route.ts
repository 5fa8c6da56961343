import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type z } from "zod";

import { BadRequestError } from "../errors.js";
import { requireAdmin, requireBotAccess } from "./auth.js";
import { checkResponse, responseChecksOn } from "./response-check.js";
import { SERVER_PROOF_ROUTE } from "./server-proof.js";

export { openApiDocument } from "./openapi.js";

/**
 * What a route answers on success when it is not one JSON body: a stream or
 * download of the declared kind (openapi.ts maps each to its media type), a
 * WebSocket upgrade, a redirect, the bot's own answer through a port, or no
 * body at all (204).
 */
export type NonJsonKind =
  | "ndjson"
  | "sse"
  | "ndjson-or-sse"
  | "mcp"
  | "octet-stream"
  | "tar.gz"
  | "file"
  | "text"
  | "websocket"
  | "redirect"
  | "proxied"
  | "no-content";

export interface NonJsonResponse {
  kind: NonJsonKind;
  /** What the body holds, for the document (e.g. the shape of one NDJSON line). */
  description: string;
  /**
   * A stream's one event (an NDJSON line, an SSE event's data), named with
   * `.meta({ id })`: the document lists it under components.schemas, so a
   * generated client (the SDK's) types the stream from the same source.
   */
  items?: z.ZodType;
}

/** A route's success answer: a zod schema of its JSON body, or a declared non-JSON answer. */
export type ResponseSpec = z.ZodType | NonJsonResponse;

/**
 * What a handler may return: for a JSON route, the schema's input (so the
 * compiler holds the handler to its declared answer) or the reply it sent
 * itself; for any other, whatever Fastify sends (a stream, the reply).
 */
export type HandlerResult<Response> = Response extends z.ZodType ? z.input<Response> | FastifyReply : unknown;

export interface RouteDefinition<
  Params extends z.ZodType,
  Query extends z.ZodType,
  Body extends z.ZodType,
  Response extends ResponseSpec | undefined = ResponseSpec | undefined,
> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";
  url: string;
  summary: string;
  params?: Params;
  query?: Query;
  body?: Body;
  /** HTTP status of a success. Default 200. */
  status?: number;
  /**
   * Who may call it: "admin" only, or (the default) anyone who may act for
   * the `:bot_id` in the path. Checked before the body, so a caller learns
   * nothing about a bot it cannot reach. "link": the route checks access
   * itself, taking a signed link where there is no token (http/auth.ts).
   */
  access?: "admin" | "bot" | "link";
  /** The success answer (status `status`): its JSON body's schema, or what else it sends. */
  response?: Response;
  /** Other successful answers, by status, with what they mean (a 206 part, a 202 for a notification). */
  alsoAnswers?: Record<number, string>;
  /** The body of its 4xx/5xx answers; default the one error envelope (api-schemas.ts). */
  errorBody?: z.ZodType;
  handler: (
    input: { params: z.infer<Params>; query: z.infer<Query>; body: z.infer<Body> },
    request: FastifyRequest,
    reply: FastifyReply,
  ) => Promise<HandlerResult<Response>>;
}

/** Every route registered through `addRoute`, for the OpenAPI document. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- routes of any shape
export type AnyRoute = RouteDefinition<any, any, any, any>;

/** `value` checked against `schema`; a 400 naming each wrong field under `where` (params, query, body) otherwise. */
export function parse<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.infer<T> {
  if (!schema) return undefined as z.infer<T>;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const details = result.error.issues
    .map((issue) => `${[where, ...issue.path].join(".")}: ${issue.message}`)
    .join("; ");
  throw new BadRequestError(details);
}

/** Registers a route whose params, query and body are checked with zod before the handler runs. */
export function addRoute<
  Params extends z.ZodType,
  Query extends z.ZodType,
  Body extends z.ZodType,
  Response extends ResponseSpec | undefined = undefined,
>(app: FastifyInstance, routes: AnyRoute[], route: RouteDefinition<Params, Query, Body, Response>): void {
  routes.push(route);
  app.route({
    method: route.method,
    url: route.url,
    // Development and tests only (BOTBOX_CHECK_RESPONSES): every JSON answer against its declared schema.
    ...(responseChecksOn() ? { onSend: checkResponse(route) } : {}),
    handler: async (request, reply) => {
      const params = parse(route.params, request.params, "params");
      if (route.access === "admin") requireAdmin(request);
      // "link" routes checked access in their own hook, before the body.
      else if (route.access !== "link" && typeof (params as { bot_id?: unknown } | undefined)?.bot_id === "string") {
        requireBotAccess(request, (params as { bot_id: string }).bot_id);
      }
      const input = {
        params,
        query: parse(route.query, request.query, "query"),
        body: parse(route.body, request.body, "body"),
      };
      const result = await route.handler(input, request, reply);
      if (reply.sent) return reply;
      reply.status(route.status ?? 200);
      return result ?? {};
    },
  });
}

/** Served outside addRoute, so not in the OpenAPI document: the probes and the document itself. */
const UNDOCUMENTED = new Set(["GET /health", "GET /ready", "GET /openapi.json", `GET ${SERVER_PROOF_ROUTE}`]);

/**
 * A route registered around addRoute would be missing from /openapi.json
 * and skip its zod checks: the server refuses to start with one.
 */
export function requireDocumentedRoutes(app: FastifyInstance, routes: AnyRoute[]): void {
  const registered: string[] = [];
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) if (method !== "HEAD") registered.push(`${method} ${route.url}`);
  });
  app.addHook("onReady", async () => {
    const documented = new Set(routes.map((route) => `${route.method} ${route.url}`));
    const missing = registered.filter((route) => !documented.has(route) && !UNDOCUMENTED.has(route));
    if (missing.length > 0)
      throw new Error(`routes registered without addRoute, so missing from /openapi.json: ${missing.join(", ")}`);
  });
}
