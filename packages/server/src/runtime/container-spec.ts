/**
 * Checks and names every backend applies to a container spec alike: what a
 * container id and bot id must look like, the hostname a bot gets, and the
 * settings a backend can run.
 */
import { BadRequestError } from "../errors.js";
import { isDefaultEgress, normaliseEgress } from "./egress.js";
import { CONTAINER_PREFIX, type ContainerSpec, ISOLATION_MODES, NETWORK_MODES } from "./runtime.js";

/** Bot ids are `[A-Za-z0-9_-]+`. */
const BOT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Unix socket paths are limited to 108 bytes, NUL included. */
const MAX_SOCKET_PATH = 107;

/** The bot id inside a container id `mcp-<botId>`, or undefined for anything else. */
export function botIdOf(containerId: string): string | undefined {
  if (!containerId.startsWith(CONTAINER_PREFIX)) return undefined;
  const botId = containerId.slice(CONTAINER_PREFIX.length);
  return BOT_ID.test(botId) ? botId : undefined;
}

/** A valid bot id, the container id `mcp-<botId>`, and an agent socket path a Unix socket can have. */
export function checkContainerIds(id: string, botId: string, socketPath: string): void {
  if (!BOT_ID.test(botId)) throw new BadRequestError(`bot id ${JSON.stringify(botId)} must match [A-Za-z0-9_-]{1,64}`);
  if (id !== CONTAINER_PREFIX + botId)
    throw new BadRequestError(`container id ${JSON.stringify(id)} must be ${JSON.stringify(CONTAINER_PREFIX + botId)}`);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH)
    throw new BadRequestError(
      `agent socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes: use a shorter home`,
    );
}

/** A hostname from the bot id: the container id, cut to the 63 characters a label allows. */
export function hostnameOf(containerId: string): string {
  return containerId.slice(0, 63).replace(/_/g, "-").toLowerCase();
}

/**
 * What a backend can run: an agent token, a known network mode, valid
 * variable names, positive limits. An empty token would start an agent that
 * answers anyone who reaches its socket or port.
 */
export function checkContainerSpec(spec: ContainerSpec): void {
  if (!/^[\x21-\x7e]+$/.test(spec.agentToken))
    throw new BadRequestError("agentToken must be a non-empty string of printable ASCII without spaces");
  if (!NETWORK_MODES.includes(spec.network))
    throw new BadRequestError(
      `network must be one of ${NETWORK_MODES.join(", ")}, got ${JSON.stringify(spec.network)}`,
    );
  if (spec.isolation !== undefined && !ISOLATION_MODES.includes(spec.isolation))
    throw new BadRequestError(
      `isolation must be one of ${ISOLATION_MODES.join(", ")}, got ${JSON.stringify(spec.isolation)}`,
    );
  if (spec.egress) {
    normaliseEgress(spec.egress);
    if (spec.network !== "isolated" && !isDefaultEgress(spec.egress))
      throw new BadRequestError(`egress rules apply to network "isolated" only, not "${spec.network}"`);
  }
  for (const key of Object.keys(spec.env))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new BadRequestError(`bad environment variable name ${key}`);
  for (const [name, value] of Object.entries(spec.limits))
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      throw new BadRequestError(`limit ${name} must be a positive number`);
}
