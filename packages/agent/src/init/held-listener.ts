/**
 * The listening socket the workspace's init binds once and holds for the
 * workspace's whole life, handing a copy to each agent it starts
 * (docs/processes.md, "The listening socket outlives the agent").
 *
 * The init only binds; it never calls listen() or accepts. The agent it
 * hands the socket to calls listen() on its copy, and from then on the
 * socket stays listening for as long as any process holds it: while no agent
 * runs, the kernel queues new connections in the backlog and the next agent
 * accepts them. Node has no public call that binds without listening (a
 * listening net.Server would accept in the init too), so this uses the
 * bind-only handle factory Node's cluster module uses for the same purpose,
 * and does without a held socket where that is missing.
 */
import { chmodSync } from "node:fs";
import net from "node:net";
import { getSystemErrorName } from "node:util";

import { parseListenAddress } from "../config.js";
import { errorCode } from "../error-code.js";
import { removeStaleSocket } from "../stale-socket.js";

/** Node's wrap of a bound socket (a `Pipe` or `TCP`), as child.send takes it. */
export interface NativeHandle {
  getsockname?(out: { port?: number }): number;
}

export type HeldListener =
  | { readonly handle: NativeHandle; readonly address: string }
  | { readonly handle?: undefined; readonly reason: string };

type CreateServerHandle = (address: string | null, port: number, addressType: number) => NativeHandle | number;
const createServerHandle = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;

/**
 * Binds what MCP_LISTEN_ADDR names, or says why not. The caller then lets
 * the agent bind on its own, whose error (a bad address, a port in use, a
 * file in the way) is reported as it always was.
 */
export function holdListener(listenAddress: string): HeldListener {
  if (!createServerHandle) return { reason: "this node has no bind-only socket handle (net._createServerHandle)" };
  let target;
  try {
    target = parseListenAddress(listenAddress);
  } catch (error) {
    return { reason: (error as Error).message };
  }
  if (target.kind === "unix") return holdUnix(createServerHandle, target.path);
  const { host, port } = target;
  if (host === "") {
    // Every interface, IPv6 first as Node and the agent do, then IPv4.
    const any6 = bindTcp(createServerHandle, "::", port, 6);
    return any6.handle ? any6 : bindTcp(createServerHandle, "0.0.0.0", port, 4);
  }
  const family = net.isIP(host);
  // A host name may stand for several addresses; the agent binds each itself.
  if (family === 0) return { reason: `${host} is a name, not an address` };
  return bindTcp(createServerHandle, host, port, family);
}

function holdUnix(create: CreateServerHandle, socketPath: string): HeldListener {
  try {
    removeStaleSocket(socketPath);
  } catch (error) {
    return { reason: (error as Error).message };
  }
  // 0600 from the first instant, as the agent's own bind makes it: the socket
  // is the channel to the whole workspace.
  const previousUmask = process.umask(0o177);
  let bound: NativeHandle | number;
  try {
    bound = create(socketPath, -1, -1);
  } finally {
    process.umask(previousUmask);
  }
  if (typeof bound === "number") return { reason: `binding ${socketPath}: ${getSystemErrorName(bound)}` };
  try {
    chmodSync(socketPath, 0o600);
  } catch (error) {
    // A host that takes the socket over (the sandbox as root) may already have.
    if (errorCode(error) !== "EPERM") return { reason: `chmod ${socketPath}: ${(error as Error).message}` };
  }
  return { handle: bound, address: `unix:${socketPath}` };
}

function bindTcp(create: CreateServerHandle, host: string, port: number, family: number): HeldListener {
  const bound = create(host, port, family);
  const shown = family === 6 ? `[${host}]` : host;
  if (typeof bound === "number") return { reason: `binding ${shown}:${port}: ${getSystemErrorName(bound)}` };
  // Port 0 asks the kernel for one: bind() picked it already.
  const name: { port?: number } = {};
  bound.getsockname?.(name);
  return { handle: bound, address: `${shown}:${name.port ?? port}` };
}
