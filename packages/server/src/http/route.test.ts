import assert from "node:assert/strict";
import { describe, it } from "node:test";

import Fastify, { type FastifyInstance } from "fastify";
import { z } from "zod";

import { addRoute, type AnyRoute, openApiDocument, requireDocumentedRoutes } from "./route.js";

function appWithRoutes(): { app: FastifyInstance; routes: AnyRoute[] } {
  const app = Fastify();
  const routes: AnyRoute[] = [];
  requireDocumentedRoutes(app, routes);
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/things",
    summary: "make a thing",
    access: "admin",
    params: z.object({ bot_id: z.string() }),
    body: z.object({ name: z.string() }),
    handler: async ({ body }) => ({ made: body.name }),
  });
  return { app, routes };
}

describe("routes", () => {
  it("every route goes through addRoute: the server will not start with one that does not", async () => {
    const { app } = appWithRoutes();
    app.get("/health", async () => ({ status: "ok" }));
    app.put("/bots/:bot_id/secret", async () => ({}));
    await assert.rejects(async () => app.ready(), /missing from \/openapi\.json: PUT \/bots\/:bot_id\/secret/);
  });

  it("holds a handler to its declared answer when it compiles (npm run typecheck)", async () => {
    const app = Fastify();
    const routes: AnyRoute[] = [];
    const made = z.object({ made: z.string() });
    addRoute(app, routes, {
      method: "GET",
      url: "/right",
      summary: "right",
      response: made,
      handler: async () => ({ made: "a" }),
    });
    addRoute(app, routes, {
      method: "GET",
      url: "/wrong",
      summary: "wrong",
      response: made,
      // @ts-expect-error -- a number where the schema says a string: if this compiled, the directive would be the error
      handler: async () => ({ made: 1 }),
    });
    // Declared non-JSON answers leave the handler free (it sends a stream itself).
    addRoute(app, routes, {
      method: "GET",
      url: "/stream",
      summary: "stream",
      response: { kind: "ndjson", description: "lines" },
      handler: async () => 1,
    });
    assert.deepEqual(
      routes.map((route) => route.url),
      ["/right", "/wrong", "/stream"],
    );
    await app.close();
  });

  it("a server whose routes all go through addRoute starts, and documents them", async () => {
    const { app, routes } = appWithRoutes();
    await app.ready();
    const document = openApiDocument(routes, "0.0.0") as { paths: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(document.paths), ["/bots/{bot_id}/things"]);
    assert.ok(document.paths["/bots/{bot_id}/things"]!.post);
    await app.close();
  });
});
