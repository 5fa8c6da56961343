import path from "node:path";

import { Code, ConnectError } from "@connectrpc/connect";

import { BadRequestError, BotboxError } from "../errors.js";
import { HTTP_STATUS } from "../http/error-status.js";
import { containerPath } from "../workspace/index.js";
import { requestedUser } from "./sandbox-user.js";
import type { SandboxRegistry } from "./sandboxes.js";

/** Where E2B_SANDBOX_URL points: `<server>/e2b-sandbox`, one address for every sandbox. */
export const ENVD_PREFIX = "/e2b-sandbox";

/**
 * The sandbox an envd request is for: the SDK names it in `E2b-Sandbox-Id`
 * and proves access with that sandbox's envd token in `X-Access-Token`.
 * Undefined when either is missing or the token is not that sandbox's.
 */
export function sandboxOfHeaders(
  registry: SandboxRegistry,
  header: (name: string) => string | undefined,
): string | undefined {
  const sandboxId = header("e2b-sandbox-id");
  const token = header("x-access-token");
  if (!sandboxId || !token || !registry.checkEnvdAccessToken(sandboxId, token)) return undefined;
  return sandboxId;
}

/**
 * sandboxOfHeaders for a connect-rpc call: an Unauthenticated error when it
 * fails. The E2B `user` the call names (basic auth) is checked against what
 * the bot can honour (sandbox-user.ts).
 */
export async function sandboxOfCall(registry: SandboxRegistry, headers: Headers): Promise<string> {
  const sandboxId = sandboxOfHeaders(registry, (name) => headers.get(name) ?? undefined);
  if (!sandboxId)
    throw new ConnectError(
      "missing or wrong sandbox credentials: send E2b-Sandbox-Id and that sandbox's X-Access-Token",
      Code.Unauthenticated,
    );
  await connectCall(() => registry.checkUser(sandboxId, requestedUser(headers.get("authorization") ?? undefined)));
  return sandboxId;
}

const CONNECT_CODES: Record<number, Code> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  409: Code.FailedPrecondition,
  413: Code.ResourceExhausted,
  429: Code.ResourceExhausted,
  503: Code.Unavailable,
  507: Code.ResourceExhausted,
};

/** A botbox error as the connect-rpc error of the same meaning (the SDK maps those to its own errors). */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof BotboxError)
    return new ConnectError(error.message, CONNECT_CODES[HTTP_STATUS[error.code]] ?? Code.Internal);
  return ConnectError.from(error, Code.Internal);
}

/** E2B's paths are absolute, or relative to the user's home, which is /data here (docs/e2b.md). */
export function e2bPath(requested: string | null | undefined): string {
  if (!requested) throw new BadRequestError("path: required");
  return containerPath(path.posix.isAbsolute(requested) ? requested : path.posix.join("/data", requested));
}

/** Runs `work`, turning any failure into a ConnectError. */
export async function connectCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toConnectError(error);
  }
}

/**
 * The keep-alive interval the SDK asks for in `Keepalive-Ping-Interval`
 * (seconds), within 1 s to 5 min; undefined when it asks for none. envd sends
 * a keep-alive event that often on a quiet stream, so that neither the
 * client's body timeout nor a proxy ends a long silent command or watch.
 */
export function keepaliveMs(headers: Headers): number | undefined {
  const seconds = Number(headers.get("keepalive-ping-interval") ?? "");
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(Math.max(seconds, 1), 300) * 1000 : undefined;
}

/** `source`'s items, with `keepalive` yielded whenever `intervalMs` passes without one. */
export async function* withKeepalive<T, K>(
  source: AsyncIterator<T>,
  intervalMs: number | undefined,
  keepalive: K,
): AsyncGenerator<T | K> {
  let pending = source.next();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const tick =
        intervalMs === undefined
          ? undefined
          : new Promise<"tick">((resolve) => (timer = setTimeout(() => resolve("tick"), intervalMs)));
      const result = await (tick ? Promise.race([pending, tick]) : pending);
      clearTimeout(timer);
      if (result === "tick") {
        yield keepalive;
        continue;
      }
      if (result.done) return;
      pending = source.next();
      yield result.value;
    }
  } finally {
    // A consumer that left early: the source's call ends, and its last pull's failure is nobody's.
    pending.catch(() => undefined);
    await source.return?.();
  }
}
