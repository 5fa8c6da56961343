import type { Server } from "node:http";
import type { Socket } from "node:net";

import type { FastifyInstance } from "fastify";

import { UnavailableError } from "../errors.js";

/** How many connections the API holds open, and how long one may wait before its first request. */
export interface ConnectionLimits {
  /** All connections at once; past it new ones are closed at accept. */
  maxConnections: number;
  /** Connections from one address (all local clients share 127.0.0.1). */
  maxPerPeer: number;
  /**
   * Slots past the ordinary ones (the total or a peer's share used up) that
   * serve only requests with the admin token, so the admin can still reach
   * a server that a bot or client has filled.
   */
  adminReserve: number;
  /** A connection that has not finished sending its first request's headers by then is closed. */
  firstRequestTimeoutMs: number;
}

interface GuardedSocket extends Socket {
  botboxAdminOnly?: boolean;
  /** Set while the connection has not sent its first request's head. */
  botboxFirstRequestTimer?: NodeJS.Timeout;
}

/** True when the connection holds one of the slots kept for the admin token (answer others 503). */
export const isAdminOnlyConnection = (socket: Socket) => (socket as GuardedSocket).botboxAdminOnly === true;

/**
 * The connection's first request has arrived: its timeout is over. Called
 * on every "request", and by the API's server for every upgrade (which
 * emits no "request"; http/routes/port-origin.ts).
 */
export function firstRequestArrived(socket: Socket): void {
  const guarded = socket as GuardedSocket;
  clearTimeout(guarded.botboxFirstRequestTimer);
  guarded.botboxFirstRequestTimer = undefined;
}

/**
 * Bounds the API's connections: a client that opens thousands of idle
 * connections would otherwise use up the server's file descriptors, and every
 * request of every bot would fail. Long-lived answers (exec streams, SSE, MCP
 * sessions) are not cut: the timeout covers only the wait for the first
 * request; after it, Node's keep-alive and headers timeouts apply.
 */
export function guardConnections(app: FastifyInstance, limits: ConnectionLimits): void {
  const server: Server = app.server;
  // Node's own cap is the hard stop, one above ours: a newcomer must reach the
  // handler below to take the place of an idle reserved connection.
  server.maxConnections = limits.maxConnections + 1;
  server.headersTimeout = limits.firstRequestTimeoutMs;
  const ordinaryTotal = limits.maxConnections - limits.adminReserve;
  const byPeer = new Map<string, number>();
  let ordinary = 0;
  // Insertion order is age: the first entry is the oldest.
  const adminOnly = new Set<GuardedSocket>();
  // A WebSocket's request is an upgrade, never a "request": the server of http/app.ts calls firstRequestArrived for it.
  server.on("request", (request: { socket: Socket }) => firstRequestArrived(request.socket));

  /**
   * A reserved slot for a new connection: a free one, else the one of the
   * oldest reserved connection that has sent nothing yet, so that idle
   * connections cannot hold the reserve against the admin.
   */
  const takeReservedSlot = (): boolean => {
    if (adminOnly.size < limits.adminReserve) return true;
    for (const socket of adminOnly) {
      if (socket.botboxFirstRequestTimer === undefined) continue;
      adminOnly.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  };

  server.on("connection", (socket: GuardedSocket) => {
    const peer = socket.remoteAddress ?? "unknown";
    const fromPeer = byPeer.get(peer) ?? 0;
    if (ordinary < ordinaryTotal && fromPeer < limits.maxPerPeer) {
      ordinary++;
      byPeer.set(peer, fromPeer + 1);
      socket.once("close", () => {
        ordinary--;
        const left = (byPeer.get(peer) ?? 1) - 1;
        if (left === 0) byPeer.delete(peer);
        else byPeer.set(peer, left);
      });
    } else if (takeReservedSlot()) {
      adminOnly.add(socket);
      socket.botboxAdminOnly = true;
      socket.once("close", () => adminOnly.delete(socket));
    } else {
      socket.destroy();
      return;
    }
    // Node's headersTimeout is checked only every 30 s; this closes a silent connection on time.
    const timer = setTimeout(() => socket.destroy(), limits.firstRequestTimeoutMs);
    timer.unref();
    socket.botboxFirstRequestTimer = timer;
    socket.once("close", () => firstRequestArrived(socket));
  });

  // After auth (registered later), so the principal is known.
  app.addHook("onRequest", async (request, reply) => {
    if (!(request.raw.socket as GuardedSocket).botboxAdminOnly || request.principal?.kind === "admin") return;
    void reply.header("connection", "close");
    throw new UnavailableError(
      "the server is at its connection limit (server.max_connections or server.max_connections_per_peer); only the admin token is served now",
    );
  });
}
