// What the E2B suites share: the SDK's environment, its sandbox list, and raw
// requests to a sandbox's envd routes as the SDK's transport makes them.
import { Sandbox } from "e2b";

import type { BotboxServer } from "../support/botbox-server.js";

/** Only the three documented variables; any other E2B_* of the caller's environment is dropped. */
export function useE2bEnvironment(server: BotboxServer, key: string): void {
  for (const name of Object.keys(process.env)) if (name.startsWith("E2B_")) delete process.env[name];
  process.env.E2B_API_KEY = key;
  process.env.E2B_API_URL = `${server.url}/e2b`;
  process.env.E2B_SANDBOX_URL = `${server.url}/e2b-sandbox`;
}

/** The ids of every sandbox the key (by default E2B_API_KEY) lists, page by page. */
export async function listedIds(apiKey?: string): Promise<string[]> {
  const paginator = Sandbox.list(apiKey ? { apiKey } : undefined);
  const ids: string[] = [];
  while (paginator.hasNext) for (const info of await paginator.nextItems()) ids.push(info.sandboxId);
  return ids;
}

/** The sandbox's envd access token, which the SDK keeps to itself. */
export const envdToken = (sandbox: Sandbox) => (sandbox as unknown as { envdAccessToken: string }).envdAccessToken;

type EnvdRequestInit = Pick<RequestInit, "method" | "body"> & { headers?: Record<string, string> };

/** A raw request to one sandbox's envd `route`, carrying the sandbox id and the given access token. */
export function envdRequest(
  server: BotboxServer,
  sandboxId: string,
  token: string,
  route: string,
  init: EnvdRequestInit = {},
): Promise<Response> {
  return fetch(`${server.url}/e2b-sandbox/${route}`, {
    ...init,
    headers: { ...init.headers, "E2b-Sandbox-Id": sandboxId, "X-Access-Token": token },
  });
}

/** A unary connect-rpc call (`service.Service/Method`) with a JSON body. */
export function envdJsonCall(
  server: BotboxServer,
  sandboxId: string,
  token: string,
  method: string,
  body: unknown = {},
): Promise<Response> {
  return envdRequest(server, sandboxId, token, method, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}
