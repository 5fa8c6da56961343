import { BadRequestError } from "../errors.js";

/** Where a bot's agent listens, and the token it wants. */
export interface AgentEndpoint {
  /** `unix:/abs/path.sock`, `host:port` or `[v6]:port`. */
  readonly address: string;
  readonly token?: string;
}

export function sameEndpoint(a: AgentEndpoint, b: AgentEndpoint): boolean {
  return a.address === b.address && (a.token ?? "") === (b.token ?? "");
}

/** The gRPC target for an endpoint address; rejects what gRPC would misread. */
export function grpcTarget(address: string): string {
  if (address.startsWith("unix:")) {
    const socketPath = address.slice("unix:".length).replace(/^\/\/(?=\/)/, "");
    if (!socketPath.startsWith("/"))
      throw new BadRequestError(`agent address ${JSON.stringify(address)}: a unix socket needs an absolute path`);
    return `unix:${socketPath}`;
  }
  if (/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(address)) return address;
  // A bare IPv6 address with a port cannot be told apart from its own colons
  // (the original dialled "<ip>:9090" without brackets, so IPv6 broke).
  throw new BadRequestError(
    `agent address ${JSON.stringify(address)} must be "unix:/path", "host:port" or "[v6]:port"`,
  );
}
