import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";

import { BadRequestError } from "../errors.js";
import { requireAdmin, requireBotAccess } from "./auth.js";
import { SERVER_PROOF_ROUTE } from "./server-proof.js";

export interface RouteDefinition<Params extends z.ZodType, Query extends z.ZodType, Body extends z.ZodType> {
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
  handler: (
    input: { params: z.infer<Params>; query: z.infer<Query>; body: z.infer<Body> },
    request: FastifyRequest,
    reply: FastifyReply,
  ) => Promise<unknown>;
}

/** Every route registered through `addRoute`, for the OpenAPI document. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- routes of any shape
export type AnyRoute = RouteDefinition<any, any, any>;

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
export function addRoute<Params extends z.ZodType, Query extends z.ZodType, Body extends z.ZodType>(
  app: FastifyInstance,
  routes: AnyRoute[],
  route: RouteDefinition<Params, Query, Body>,
): void {
  routes.push(route);
  app.route({
    method: route.method,
    url: route.url,
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

/** An OpenAPI 3.1 document built from the same zod schemas that validate requests. */
export function openApiDocument(routes: AnyRoute[], version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const openApiPath = route.url.replace(/:([A-Za-z_]+)/g, "{$1}");
    const parameters = [
      ...Object.keys((route.params as z.ZodObject | undefined)?.shape ?? {}).map((name) => ({
        name,
        in: "path",
        required: true,
        schema: { type: "string" },
      })),
      ...Object.entries((route.query as z.ZodObject | undefined)?.shape ?? {}).map(([name, schema]) => ({
        name,
        in: "query",
        required: !(schema as z.ZodType).safeParse(undefined).success,
        schema: z.toJSONSchema(schema as z.ZodType, { io: "input", unrepresentable: "any" }),
      })),
    ];
    paths[openApiPath] ??= {};
    paths[openApiPath][route.method.toLowerCase()] = {
      summary: route.summary,
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: {
                "application/json": { schema: z.toJSONSchema(route.body, { io: "input", unrepresentable: "any" }) },
              },
            },
          }
        : {}),
      responses: { [String(route.status ?? 200)]: { description: "success" }, default: { description: "error" } },
      security: route.url === "/health" || route.url === "/ready" ? [] : [{ bearer: [] }],
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "botbox", version },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
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
