import { createHash, timingSafeEqual } from "node:crypto";

import type { FastifyInstance } from "fastify";

import { ForbiddenError } from "../../errors.js";
import type { ServerMetrics } from "../../metrics/index.js";
import type { Principal } from "../auth.js";
import { addRoute, type AnyRoute } from "../route.js";

export const METRICS_ROUTE = "/metrics";

export interface MetricsRouteOptions {
  metrics: ServerMetrics;
  /** Who a bearer header acts for (http/auth.ts); 401 for none or a wrong one. */
  authenticate: (header: string | undefined) => Promise<Principal>;
  /** `[metrics] token`: reads /metrics and nothing else, so a scraper never holds the admin token. */
  metricsToken?: string;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** GET /metrics in Prometheus's text format (docs/metrics.md): the admin token or the metrics token. */
export function metricsRoutes(app: FastifyInstance, routes: AnyRoute[], options: MetricsRouteOptions): void {
  const metricsDigest = options.metricsToken === undefined ? undefined : digest(options.metricsToken);
  addRoute(app, routes, {
    method: "GET",
    url: METRICS_ROUTE,
    summary: "Prometheus metrics in text format 0.0.4 (the admin token or [metrics] token; a bot token gets 403)",
    // Checked here: the metrics token is no principal of the API's (installAuth leaves this route to it).
    access: "link",
    response: { kind: "text", description: "Prometheus text format 0.0.4 (text/plain; version=0.0.4)" },
    handler: async (_input, request, reply) => {
      const header = request.headers.authorization;
      const token = header?.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : "";
      // Digests compared, so the comparison takes the same time for any token.
      const isMetricsToken =
        metricsDigest !== undefined && token !== "" && timingSafeEqual(digest(token), metricsDigest);
      if (!isMetricsToken) {
        const principal = await options.authenticate(header);
        if (principal.kind !== "admin")
          throw new ForbiddenError("GET /metrics needs the admin token or the [metrics] token, not a bot's token");
      }
      const { contentType, text } = await options.metrics.scrape();
      return reply.status(200).header("content-type", contentType).send(text);
    },
  });
}
