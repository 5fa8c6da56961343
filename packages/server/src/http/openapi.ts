import { z } from "zod";

import { errorSchema } from "./api-schemas.js";
import type { AnyRoute, NonJsonKind, ResponseSpec } from "./route.js";

/**
 * The OpenAPI 3.1 document, built from the same zod schemas that check
 * requests and (in tests) answers, so it cannot describe an API other than
 * the one served. Named shapes (`.meta({ id })`) become components.schemas
 * and are referenced, never repeated.
 */

type JsonSchema = Record<string, unknown>;

const MEDIA_TYPES: Record<Exclude<NonJsonKind, "websocket" | "redirect" | "no-content">, string[]> = {
  ndjson: ["application/x-ndjson"],
  sse: ["text/event-stream"],
  // The Accept header picks one.
  "ndjson-or-sse": ["application/x-ndjson", "text/event-stream"],
  // MCP's Streamable HTTP: one JSON-RPC answer, or a stream of them.
  mcp: ["application/json", "text/event-stream"],
  "octet-stream": ["application/octet-stream"],
  "tar.gz": ["application/gzip"],
  file: ["*/*"],
  // Plain text in a format of its own (GET /metrics: Prometheus's).
  text: ["text/plain"],
  proxied: ["*/*"],
};

/** components.schemas, filled as schemas are converted; a name used for two shapes is an error. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  /** `schema` as JSON Schema, its named parts moved to components and referenced there. */
  convert(schema: z.ZodType, io: "input" | "output"): JsonSchema {
    const converted = z.toJSONSchema(schema, {
      io,
      unrepresentable: "any",
      // zod writes its own regular expression for an ISO date-time beside the format: the format says it.
      override: ({ jsonSchema }) => {
        if (jsonSchema.format === "date-time") delete jsonSchema.pattern;
      },
    }) as JsonSchema;
    // A request's shape may differ from the answer of the same name (defaults, extra keys allowed).
    const rename = (id: string) => (io === "input" ? `${id}Input` : id);
    const definitions = (converted.$defs ?? {}) as Record<string, JsonSchema>;
    delete converted.$defs;
    delete converted.$schema;
    for (const [id, definition] of Object.entries(definitions)) {
      const moved = withComponentRefs(definition, rename) as JsonSchema;
      const existing = this.schemas[rename(id)];
      if (existing && JSON.stringify(existing) !== JSON.stringify(moved))
        throw new Error(`two different schemas are named ${rename(id)}`);
      this.schemas[rename(id)] = moved;
    }
    return withComponentRefs(converted, rename) as JsonSchema;
  }
}

/** `value` with zod's `#/$defs/X` references pointing at components.schemas instead. */
function withComponentRefs(value: unknown, rename: (id: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => withComponentRefs(item, rename));
  if (!value || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) =>
      key === "$ref" && typeof item === "string" && item.startsWith("#/$defs/")
        ? [key, `#/components/schemas/${rename(item.slice("#/$defs/".length))}`]
        : [key, withComponentRefs(item, rename)],
    ),
  );
}

/** The success answer of a route, as an OpenAPI response object (a route that only refuses: that refusal). */
function successResponse(route: AnyRoute, components: Components): JsonSchema {
  const response = route.response as ResponseSpec | undefined;
  if (response === undefined) return { description: "success (not yet described)" };
  if (response instanceof z.ZodType)
    return {
      description: successStatus(route) < 400 ? "success" : "the answer to this method, always a refusal",
      content: { "application/json": { schema: components.convert(response, "output") } },
    };
  if (response.kind === "websocket" || response.kind === "redirect" || response.kind === "no-content")
    return { description: response.description };
  // OpenAPI 3.1 has no field for the items of a stream (3.2's itemSchema): an
  // extension names the one event's schema, which sits in components.schemas.
  const items = response.items ? { "x-item-schema": components.convert(response.items, "output") } : {};
  const content = MEDIA_TYPES[response.kind].map((type) => [
    type,
    { schema: { type: "string", contentMediaType: type }, ...items },
  ]);
  return { description: response.description, content: Object.fromEntries(content) };
}

/** The status a route's success answers with: 101 for an upgrade, 302 for a redirect. */
export function successStatus(route: AnyRoute): number {
  const kind =
    route.response instanceof z.ZodType ? undefined : (route.response as { kind?: string } | undefined)?.kind;
  if (kind === "websocket") return 101;
  if (kind === "redirect") return 302;
  if (kind === "no-content") return 204;
  return route.status ?? 200;
}

function errorResponses(route: AnyRoute, components: Components): JsonSchema {
  const body = route.errorBody
    ? {
        description: "error",
        content: { "application/json": { schema: components.convert(route.errorBody, "output") } },
      }
    : { $ref: "#/components/responses/Error" };
  return { "4XX": body, "5XX": body };
}

export function openApiDocument(routes: AnyRoute[], version: string): unknown {
  const components = new Components();
  const errorRef = components.convert(errorSchema, "output");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const openApiPath = route.url.replace(/:([A-Za-z_]+)/g, "{$1}").replace(/\*$/, "{wildcard}");
    const pathNames = Object.keys((route.params as z.ZodObject | undefined)?.shape ?? {});
    const parameters = [
      ...pathNames.map((name) => ({
        name: name === "*" ? "wildcard" : name,
        in: "path",
        required: true,
        schema: { type: "string" },
      })),
      ...Object.entries((route.query as z.ZodObject | undefined)?.shape ?? {}).map(([name, schema]) => ({
        name,
        in: "query",
        required: !(schema as z.ZodType).safeParse(undefined).success,
        schema: components.convert(schema as z.ZodType, "input"),
      })),
    ];
    const others = Object.fromEntries(
      Object.entries(route.alsoAnswers ?? {}).map(([status, description]) => [status, { description }]),
    );
    paths[openApiPath] ??= {};
    paths[openApiPath][route.method.toLowerCase()] = {
      summary: route.summary,
      operationId: operationId(route),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: components.convert(route.body, "input") } },
            },
          }
        : {}),
      responses: {
        [String(successStatus(route))]: successResponse(route, components),
        ...others,
        ...errorResponses(route, components),
      },
      security: [{ bearer: [] }],
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "botbox", version },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: components.schemas,
      responses: {
        Error: {
          description: "the error envelope: a botbox code and a message naming what was wrong",
          content: { "application/json": { schema: errorRef } },
        },
      },
    },
    paths,
  };
}

/** A stable, readable operation name from the method and path: `get_bots_bot_id_container`. */
function operationId(route: AnyRoute): string {
  const words = route.url
    .split("/")
    .filter(Boolean)
    .map((part) => (part === "*" ? "path" : part.replace(/^:/, "").replace(/[^A-Za-z0-9]+/g, "_")));
  return [route.method.toLowerCase(), ...words].join("_");
}
