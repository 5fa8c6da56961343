import { lookup } from "node:dns/promises";
import { connect, isIP, type Socket } from "node:net";

import type { TunnelFrame } from "@botbox/proto";
import { type ServerDuplexStream, status } from "@grpc/grpc-js";

import { firstMessage } from "../first-message.js";
import type { CallLog } from "../rpc-call.js";
import { invalidArgument, RpcError } from "../rpc-error.js";

/** The original's bound on reaching the target; a port nobody serves fails at once anyway. */
const TUNNEL_DIAL_TIMEOUT_MS = 10_000;

type TunnelCall = ServerDuplexStream<TunnelFrame, TunnelFrame>;

const dataFrame = (data: Buffer): TunnelFrame => ({ frame: { $case: "data", value: { data } } });
const closeFrame = (error = ""): TunnelFrame => ({ frame: { $case: "close", value: { error } } });

/**
 * A byte stream between the host and a TCP port on the bot's own loopback:
 * how the host reaches a server a bot runs in a network of its own (or none)
 * without publishing a port (docs/ports.md). Only loopback: the agent may sit
 * in the host's network (network "host") or beside other bots, and the
 * tunnel must not become a way to those.
 */
export async function tunnel(call: TunnelCall, log: CallLog, dialTimeoutMs = TUNNEL_DIAL_TIMEOUT_MS): Promise<void> {
  const first = await firstMessage(call);
  if (first?.frame?.$case !== "open") throw invalidArgument("the first tunnel frame must be open{address}");
  const address = first.frame.value.address;
  log.path = address;
  const target = await loopbackTarget(address);
  let socket: Socket;
  try {
    socket = await dial(target.host, target.port, dialTimeoutMs);
  } catch (error) {
    // Not a failed call: the tunnel worked, the port did not answer. The host says so (502).
    call.write(closeFrame(`dial ${address}: ${error instanceof Error ? error.message : String(error)}`));
    return;
  }
  call.write(dataFrame(Buffer.alloc(0)));
  await carry(call, socket);
}

/** Bytes both ways until the target's socket closes or the call ends; never more than one window buffered. */
function carry(call: TunnelCall, socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    let outputEnded = false;
    let failure: RpcError | undefined;
    const onCancel = () => socket.destroy();
    call.on("cancelled", onCancel);
    if (call.cancelled) socket.destroy();

    socket.on("data", (chunk: Buffer) => {
      // The call's write buffer is the only one: when it is full, stop reading the target.
      if (!call.write(dataFrame(chunk))) {
        socket.pause();
        call.once("drain", () => socket.resume());
      }
    });
    socket.on("end", () => {
      outputEnded = true;
      if (!call.cancelled) call.write(closeFrame());
    });
    socket.on("error", (error) => {
      if (outputEnded || call.cancelled) return;
      outputEnded = true;
      call.write(closeFrame(error.message));
    });
    socket.on("close", () => {
      call.off("cancelled", onCancel);
      // Frames the host still sends have nowhere to go; stop reading them.
      call.removeAllListeners("data");
      call.resume();
      if (failure) reject(failure);
      else resolve();
    });

    call.on("data", (frame: TunnelFrame) => {
      const kind = frame.frame?.$case;
      if (kind === "data") {
        if (socket.destroyed || frame.frame!.value.data.length === 0) return;
        if (!socket.write(frame.frame!.value.data)) {
          call.pause();
          socket.once("drain", () => call.resume());
        }
      } else if (kind === "close") {
        const error = (frame.frame!.value as { error: string }).error;
        if (error === "") socket.end();
        else socket.destroy();
      } else {
        failure = invalidArgument("a tunnel takes one open frame: it already has its target");
        socket.destroy();
      }
    });
    // The host's half-close is the target's end of input.
    call.on("end", () => socket.end());
    call.on("error", () => socket.destroy());
    call.resume();
  });
}

/**
 * `host:port` (`[v6]:port` for IPv6) resolved to an address to dial. Every
 * address the name resolves to must be loopback, and the tunnel dials the
 * address checked, not the name again, so a resolver cannot swap it between.
 */
async function loopbackTarget(address: string): Promise<{ host: string; port: number }> {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (!match) throw invalidArgument(`tunnel address ${JSON.stringify(address)} must be host:port`);
  const name = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) throw invalidArgument(`tunnel port ${port} must be 1 to 65535`);
  let addresses: string[];
  if (isIP(name) !== 0) addresses = [name];
  else {
    try {
      addresses = (await lookup(name, { all: true })).map((entry) => entry.address);
    } catch (error) {
      throw invalidArgument(`tunnel host ${name} does not resolve: ${(error as Error).message}`);
    }
  }
  const outside = addresses.filter((candidate) => !isLoopback(candidate));
  if (addresses.length === 0 || outside.length > 0)
    throw new RpcError(
      status.PERMISSION_DENIED,
      `tunnel target ${address} is not on the bot's loopback (${outside.join(", ") || "no address"}): a tunnel reaches only the bot's own services, never the host's or other bots'`,
    );
  return { host: addresses[0]!, port };
}

function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith("127.");
  const lower = address.toLowerCase();
  if (lower === "::1" || lower === "0:0:0:0:0:0:0:1") return true;
  // An IPv4-mapped IPv6 address reaches the IPv4 address it maps.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped !== null && mapped[1]!.startsWith("127.");
}

function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once("error", onError);
  });
}
