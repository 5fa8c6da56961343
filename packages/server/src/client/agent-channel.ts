import { type ChannelCredentials, type ChannelOptions, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";

import { type AgentEndpoint, grpcTarget } from "./endpoint.js";
import { mapGrpcError } from "./error-mapping.js";

/**
 * A stub of one of the agent's services (ContainerService, ProcessService,
 * FileWatchService) on one endpoint. Insecure credentials: the agent's
 * socket (or loopback port) and its bearer token are the boundary.
 */
export function agentStub<Stub>(
  Service: new (address: string, credentials: ChannelCredentials, options: ChannelOptions) => Stub,
  endpoint: AgentEndpoint,
  overrides: ChannelOptions,
): Stub {
  return new Service(
    grpcTarget(endpoint.address),
    credentials.createInsecure(),
    agentChannelOptions(endpoint, overrides),
  );
}

/** What every one of the agent's services is called with on one endpoint. */
function agentChannelOptions(endpoint: AgentEndpoint, overrides: ChannelOptions): ChannelOptions {
  return {
    // Unix sockets carry no meaningful authority; give gRPC a stable one.
    ...(endpoint.address.startsWith("unix:") ? { "grpc.default_authority": "localhost" } : {}),
    // A larger HTTP/2 window than the 64 KiB default keeps downloads and replays flowing.
    "grpc-node.flow_control_window": 4 * 2 ** 20,
    ...overrides,
  };
}

/** The agent's bearer token, on every call. */
export function bearerMetadata(endpoint: AgentEndpoint): Metadata {
  const metadata = new Metadata();
  if (endpoint.token) metadata.set("authorization", `Bearer ${endpoint.token}`);
  return metadata;
}

export type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline?: Date },
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** A unary call of `stub` as a promise; a failure is a botbox error (error-mapping.ts). */
export function callUnary<Req, Res>(
  stub: object,
  method: Unary<Req, Res>,
  request: Req,
  endpoint: AgentEndpoint,
  timeoutMs?: number,
): Promise<Res> {
  const options = timeoutMs === undefined ? {} : { deadline: new Date(Date.now() + timeoutMs) };
  return new Promise((resolve, reject) => {
    method.call(stub, request, bearerMetadata(endpoint), options, (error, response) =>
      error ? reject(mapGrpcError(error)) : resolve(response),
    );
  });
}
