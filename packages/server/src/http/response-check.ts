import { isDeepStrictEqual } from "node:util";

import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";

import { errorSchema } from "./api-schemas.js";
import type { AnyRoute } from "./route.js";

/**
 * The development and test check that every JSON answer is what /openapi.json
 * says it is. Off in production: it parses every body it checks. On when
 * BOTBOX_CHECK_RESPONSES=1 (test/support/botbox-server.ts sets it, so each
 * end-to-end test checks every answer it gets).
 */
export const responseChecksOn = (): boolean => process.env.BOTBOX_CHECK_RESPONSES === "1";

/** The problem with `body` as an answer of `schema`, or undefined when it is one. */
export function responseProblem(schema: z.ZodType, body: unknown): string | undefined {
  // The wire text is the schema's output (a timestamp's ISO text): encode checks that side.
  const result = z.safeEncode(schema, body);
  if (!result.success) {
    return result.error.issues.map((issue) => `${["body", ...issue.path].join(".")}: ${issue.message}`).join("; ");
  }
  // zod drops keys its objects do not declare; the document says there are none.
  const declared = JSON.parse(JSON.stringify(result.data)) as unknown;
  if (!isDeepStrictEqual(declared, body))
    return `${undeclaredPath(body, declared, "body")}: not declared in the schema`;
  return undefined;
}

/** Where `sent` first has what `declared` lacks. */
function undeclaredPath(sent: unknown, declared: unknown, path: string): string {
  if (sent && declared && typeof sent === "object" && typeof declared === "object") {
    for (const [key, value] of Object.entries(sent)) {
      const kept = (declared as Record<string, unknown>)[key];
      if (!isDeepStrictEqual(value, kept)) return undeclaredPath(value, kept, `${path}.${key}`);
    }
  }
  return path;
}

/**
 * An onSend hook for `route`: a JSON answer that does not match its schema
 * (the success one, or the error envelope for a 4xx/5xx) becomes a 500
 * naming the difference, and the mismatch is logged, so a test that gets it
 * fails and says why. Streams and other bodies pass untouched.
 */
export function checkResponse(route: AnyRoute) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    if (typeof payload !== "string") return payload;
    if (!String(reply.getHeader("content-type") ?? "").startsWith("application/json")) return payload;
    const schema: z.ZodType | undefined =
      reply.statusCode >= 400
        ? ((route.errorBody as z.ZodType | undefined) ?? errorSchema)
        : route.response instanceof z.ZodType
          ? route.response
          : undefined;
    if (!schema) return payload;
    let problem: string | undefined;
    try {
      problem = responseProblem(schema, JSON.parse(payload));
    } catch (error) {
      problem = `not JSON: ${(error as Error).message}`;
    }
    if (!problem) return payload;
    const message = `the ${reply.statusCode} answer of ${route.method} ${route.url} does not match its declared schema: ${problem}`;
    request.log.error({ route: `${route.method} ${route.url}`, status: reply.statusCode, problem }, message);
    void reply.status(500);
    return JSON.stringify({ error: { code: "internal", message } });
  };
}
