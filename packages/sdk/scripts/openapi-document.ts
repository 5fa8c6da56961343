// The server's OpenAPI document, built in this process from its route table:
// the HTTP app is created with inert services (no route runs, so none is
// called) and asked for /openapi.json, as a client would. No server starts,
// no port or home folder is needed, and the document is the served one.
import pino from "pino";

import { createHttpServer, type HttpServerOptions } from "../../server/src/http/index.js";

/** A service no route is asked to use while the document is built: any use is a bug here, said loudly. */
function inert(name: string): never {
  return new Proxy(
    {},
    {
      get: (_target, key) => {
        if (key === "then") return undefined;
        return () => {
          throw new Error(`building the OpenAPI document used ${name}.${String(key)}`);
        };
      },
    },
  ) as never;
}

/** The request metrics, which count the one request the document takes: ignored. */
const uncounted = new Proxy({}, { get: (_target, key) => (key === "then" ? undefined : () => undefined) }) as never;

export async function openApiDocument(version: string): Promise<unknown> {
  const options: HttpServerOptions = {
    manager: inert("manager"),
    snapshots: inert("snapshots"),
    bots: inert("bots"),
    tokens: inert("tokens"),
    events: inert("events"),
    eventFeed: inert("eventFeed"),
    eventHistory: inert("eventHistory"),
    metrics: { metrics: uncounted },
    mcp: {
      gateway: inert("gateway"),
      sessions: inert("sessions"),
      federated: inert("federated"),
      servers: inert("servers"),
    },
    files: inert("files"),
    media: inert("media"),
    memory: inert("memory"),
    ports: inert("ports"),
    processes: inert("processes"),
    adminToken: "document-only",
    verifyToken: async () => undefined,
    logger: pino({ level: "silent" }),
    version,
    consoleDir: "/nonexistent",
  };
  const app = createHttpServer(options);
  try {
    const answer = await app.inject({
      method: "GET",
      url: "/openapi.json",
      headers: { authorization: "Bearer document-only" },
    });
    if (answer.statusCode !== 200) throw new Error(`GET /openapi.json answered ${answer.statusCode}: ${answer.body}`);
    return answer.json();
  } finally {
    await app.close();
  }
}
