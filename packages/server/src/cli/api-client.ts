import { readFile } from "node:fs/promises";
import path from "node:path";

/** Where the CLI finds the server and its token: flags, then environment, then the local home. */
export interface ApiTarget {
  url: string;
  token: string;
}

export async function resolveApiTarget(flags: { url?: string; token?: string; home?: string }): Promise<ApiTarget> {
  const url = flags.url ?? process.env.BOTBOX_URL ?? `http://127.0.0.1:${process.env.BOTBOX_PORT ?? 8080}`;
  let token = flags.token ?? process.env.BOTBOX_TOKEN ?? process.env.BOTBOX_ADMIN_TOKEN;
  if (!token) {
    const home = path.resolve(flags.home ?? process.env.BOTBOX_HOME ?? ".botbox");
    token = (await readFile(path.join(home, "admin-token"), "utf8").catch(() => "")).trim();
  }
  if (!token) {
    throw new CliError("no API token: pass --token, set BOTBOX_TOKEN, or run where the server's home has admin-token");
  }
  return { url: url.replace(/\/+$/, ""), token };
}

export class CliError extends Error {
  override name = "CliError";
}

/** One JSON request to the HTTP API; an error status becomes a CliError with the server's message. */
export async function callApi(target: ApiTarget, method: string, route: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new CliError(`cannot reach botbox at ${target.url}: ${(error as Error).cause ?? (error as Error).message}`);
  }
  if (response.status === 204) return undefined;
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message ?? text;
    throw new CliError(`${method} ${route}: ${response.status} ${message}`);
  }
  return parsed;
}
