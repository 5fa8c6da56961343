import type { IncomingMessage, ServerResponse } from "node:http";

import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";

import type { Principal } from "../http/auth.js";
import type { BotDirectory } from "../http/routes/bots.js";
import type { BotManager } from "../manager/index.js";
import type { WorkspaceProcesses } from "../processes/index.js";
import type { WorkspaceFiles } from "../workspace/index.js";
import { CONTROL_PLANE_PREFIX, controlPlaneHandler } from "./control-plane.js";
import { ENVD_PREFIX } from "./envd-context.js";
import { filesystemService } from "./envd-filesystem.js";
import { envdHttpHandler } from "./envd-http.js";
import { processService } from "./envd-process.js";
import { watchService } from "./envd-watch.js";
import { Filesystem } from "./gen/filesystem/filesystem_pb.js";
import { Process } from "./gen/process/process_pb.js";
import { SandboxRegistry, type SandboxRegistryOptions } from "./sandboxes.js";

export interface E2bFrontEndOptions {
  bots: BotDirectory;
  /** Where a sandbox's template, metadata and envs are kept with its bot. */
  store: SandboxRegistryOptions["store"];
  /** `[e2b] templates`, as image refs: template name → image (docs/e2b.md). */
  templates: ReadonlyMap<string, string | undefined>;
  manager: BotManager;
  processes: WorkspaceProcesses;
  files: WorkspaceFiles;
  /** botbox's bearer check (http/auth.ts): an E2B key carries a botbox token. */
  authenticate: (authorization: string | undefined) => Promise<Principal>;
  /** The server's admin token: signs the sandboxes' envd access tokens. */
  secret: string;
  logger: Logger;
}

/** The E2B front end as the HTTP server takes it: `claim` answers a request that is its own and says so. */
export interface E2bFrontEnd {
  claim(request: IncomingMessage, response: ServerResponse): boolean;
  close(): void;
}

/**
 * E2B's API on botbox's port (docs/e2b.md): the control plane under /e2b,
 * envd's services under /e2b-sandbox. Requests are taken before Fastify
 * routes them: they carry E2B's credentials, not botbox's bearer token, and
 * connect-rpc's streams want the raw request and response.
 */
export function createE2bFrontEnd(options: E2bFrontEndOptions): E2bFrontEnd {
  const sandboxes = new SandboxRegistry({
    bots: options.bots,
    store: options.store,
    manager: options.manager,
    templates: options.templates,
    secret: options.secret,
    logger: options.logger,
  });
  const control = controlPlaneHandler({ sandboxes, authenticate: options.authenticate, logger: options.logger });
  const envdHttp = envdHttpHandler({
    sandboxes,
    manager: options.manager,
    files: options.files,
    logger: options.logger,
  });
  const envd = connectNodeAdapter({
    requestPathPrefix: ENVD_PREFIX,
    routes: (router) => {
      router.service(Process, processService(sandboxes, options.processes));
      router.service(Filesystem, {
        ...filesystemService(sandboxes, options.files),
        ...watchService(sandboxes, (botId) => options.manager.agentFor(botId)),
      });
    },
    // HTTP/1.1 only here (Fastify's server): the request is always an IncomingMessage.
    fallback: (request, response) => envdHttp(request as IncomingMessage, response as ServerResponse),
  });
  // Open answers (command output, watches), ended at close: the server's own close waits for open connections.
  const open = new Set<ServerResponse>();
  return {
    claim(request, response) {
      const url = request.url ?? "";
      if (
        url === CONTROL_PLANE_PREFIX ||
        url.startsWith(`${CONTROL_PLANE_PREFIX}/`) ||
        url.startsWith(`${ENVD_PREFIX}/`)
      ) {
        open.add(response);
        response.once("close", () => open.delete(response));
      }
      if (url === CONTROL_PLANE_PREFIX || url.startsWith(`${CONTROL_PLANE_PREFIX}/`)) {
        void control(request, response, url.slice(CONTROL_PLANE_PREFIX.length));
        return true;
      }
      if (url.startsWith(`${ENVD_PREFIX}/`)) {
        envd(request, response);
        return true;
      }
      return false;
    },
    close() {
      sandboxes.close();
      for (const response of open) response.destroy();
    },
  };
}
