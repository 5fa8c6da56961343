import { Botbox, BotboxApiError } from "@botbox/sdk";

import { type ApiTarget, CliError } from "./api-client.js";

// Every command talks to the server through @botbox/sdk (docs/sdk.md): one
// client, whose types are the API's own. Imported by the commands only, so
// `botbox serve` and `--help` never load it.

/** The SDK client of the server the command line names; no timeout: a command waits as long as its call takes. */
export function sdkFor(target: ApiTarget): Botbox {
  return new Botbox({ url: target.url, token: target.token, timeoutMs: 0 });
}

/**
 * The SDK's refusal as the CLI's one line, named by what the command was
 * doing (`exec: 404 no bot x`); a server that cannot be reached says so.
 */
export function cliErrorOf(what: string, error: unknown): unknown {
  if (!(error instanceof BotboxApiError)) return error;
  if (error.status === 0) return new CliError(`${what}: ${error.message}`, error.code);
  return new CliError(`${what}: ${error.status} ${error.message}`, error.code);
}

/** Awaits an SDK call, its refusal turned into the CLI's error. */
export async function api<T>(what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw cliErrorOf(what, error);
  }
}
