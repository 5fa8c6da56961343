import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

import type { ConsoleFiles } from "./console-files.js";
import { CONSOLE_SECURITY_HEADERS, IMMUTABLE_CACHE, PAGE_CACHE } from "./security-headers.js";

/** Where the console's own pages live; the SPA routes inside it (console.md). */
export const CONSOLE_PREFIX = "/console";
const ASSETS_PREFIX = "/assets/";

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>botbox console not built</title></head>
<body><h1>The botbox web console is not built</h1>
<p>This server has no <code>packages/web/dist</code>. Run <code>npm run build</code> (or <code>npm start</code>,
which builds first) in the botbox checkout, then reload. The HTTP API works without it.</p></body></html>
`;

/**
 * Serves the web console's static files: `/` and `/console/*` answer
 * index.html (the single-page app's own routes), `/assets/*` the hashed
 * bundles. Only GET and HEAD of paths no API route matches: an API route,
 * and a 404 of an unknown API path, stay the API's JSON. It runs before the
 * bearer-token check (registered first): the files are public, the data they
 * show comes from the API with the user's token.
 */
export function serveConsole(app: FastifyInstance, files: ConsoleFiles): void {
  app.addHook("onRequest", async (request, reply) => {
    if (request.method !== "GET" && request.method !== "HEAD") return;
    if (request.routeOptions.url !== undefined) return;
    const pathname = request.url.split("?", 1)[0]!;
    if (pathname === "/" || pathname === CONSOLE_PREFIX || pathname.startsWith(`${CONSOLE_PREFIX}/`))
      return sendPage(request, reply, await files.page());
    if (pathname.startsWith(ASSETS_PREFIX)) return sendAsset(request, reply, files, pathname);
  });
}

function sendPage(request: FastifyRequest, reply: FastifyReply, page: string | undefined): FastifyReply {
  void reply
    .status(page === undefined ? 404 : 200)
    .headers({ ...CONSOLE_SECURITY_HEADERS, "cache-control": PAGE_CACHE })
    .type("text/html; charset=utf-8");
  return reply.send(request.method === "HEAD" ? undefined : (page ?? NOT_BUILT_PAGE));
}

async function sendAsset(
  request: FastifyRequest,
  reply: FastifyReply,
  files: ConsoleFiles,
  pathname: string,
): Promise<FastifyReply> {
  let name: string;
  try {
    name = decodeURIComponent(pathname.slice(ASSETS_PREFIX.length));
  } catch {
    name = "";
  }
  const asset = await files.asset(name);
  void reply.headers(CONSOLE_SECURITY_HEADERS);
  if (!asset) {
    return reply
      .status(404)
      .header("cache-control", "no-store")
      .send({ error: { code: "not_found", message: `no console asset ${pathname}` } });
  }
  void reply
    .status(200)
    .headers({ "cache-control": IMMUTABLE_CACHE, "content-length": String(asset.size) })
    .type(asset.contentType);
  if (request.method === "HEAD") {
    asset.stream.destroy();
    return reply.send();
  }
  return reply.send(asset.stream);
}
