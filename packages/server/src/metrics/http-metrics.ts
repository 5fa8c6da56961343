import type { FastifyInstance } from "fastify";

import type { ServerMetrics } from "./server-metrics.js";

/**
 * Counts and times every request by its route pattern. Timed from arrival to
 * the socket's close rather than in onResponse, which a route that takes the
 * socket over (a stream, SSE, a proxied port) never reaches.
 */
export function installHttpMetrics(app: FastifyInstance, metrics: ServerMetrics): void {
  app.addHook("onRequest", async (request, reply) => {
    const started = process.hrtime.bigint();
    reply.raw.once("close", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(request.routeOptions.url, request.method, reply.raw.statusCode, seconds);
    });
  });
}
