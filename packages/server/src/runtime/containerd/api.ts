/**
 * containerd's gRPC API, the one door to the generated stubs
 * (src/gen/containerd, made by `npm run gen` from the installed API protos;
 * never edited, never committed). One channel to the socket, every call in
 * the configured namespace, and the one table from gRPC status codes to
 * botbox's errors.
 */
import { type CallOptions, Channel, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";

import { BadRequestError, BotboxError, ConflictError, NotFoundError, UnavailableError } from "../../errors.js";
import { ContainersClient } from "../../gen/containerd/github.com/containerd/containerd/api/services/containers/v1/containers.js";
import { ContentClient } from "../../gen/containerd/github.com/containerd/containerd/api/services/content/v1/content.js";
import { DiffClient } from "../../gen/containerd/github.com/containerd/containerd/api/services/diff/v1/diff.js";
import { ImagesClient } from "../../gen/containerd/github.com/containerd/containerd/api/services/images/v1/images.js";
import { IntrospectionClient } from "../../gen/containerd/github.com/containerd/containerd/api/services/introspection/v1/introspection.js";
import { LeasesClient } from "../../gen/containerd/github.com/containerd/containerd/api/services/leases/v1/leases.js";
import { SnapshotsClient } from "../../gen/containerd/github.com/containerd/containerd/api/services/snapshots/v1/snapshots.js";
import { TasksClient } from "../../gen/containerd/github.com/containerd/containerd/api/services/tasks/v1/tasks.js";
import { VersionClient } from "../../gen/containerd/github.com/containerd/containerd/api/services/version/v1/version.js";

export type Callback<T> = (error: ServiceError | null, value: T) => void;

/** How long one call may take unless it says otherwise: a stuck daemon must not hang a request. */
const DEFAULT_DEADLINE_MS = 60_000;

export class ContainerdApi {
  readonly containers: ContainersClient;
  readonly content: ContentClient;
  readonly diff: DiffClient;
  readonly images: ImagesClient;
  readonly introspection: IntrospectionClient;
  readonly leases: LeasesClient;
  readonly snapshots: SnapshotsClient;
  readonly tasks: TasksClient;
  readonly version: VersionClient;
  private readonly channel: Channel;

  constructor(
    readonly socketPath: string,
    readonly namespace: string,
  ) {
    const target = `unix://${socketPath}`;
    const options = { "grpc.max_receive_message_length": 64 * 2 ** 20 };
    this.channel = new Channel(target, credentials.createInsecure(), options);
    const shared = { ...options, channelOverride: this.channel };
    const insecure = credentials.createInsecure();
    this.containers = new ContainersClient(target, insecure, shared);
    this.content = new ContentClient(target, insecure, shared);
    this.diff = new DiffClient(target, insecure, shared);
    this.images = new ImagesClient(target, insecure, shared);
    this.introspection = new IntrospectionClient(target, insecure, shared);
    this.leases = new LeasesClient(target, insecure, shared);
    this.snapshots = new SnapshotsClient(target, insecure, shared);
    this.tasks = new TasksClient(target, insecure, shared);
    this.version = new VersionClient(target, insecure, shared);
  }

  /** The namespace header every call carries, and a lease when one protects what the call makes. */
  metadata(lease?: string): Metadata {
    const metadata = new Metadata();
    metadata.set("containerd-namespace", this.namespace);
    if (lease) metadata.set("containerd-lease", lease);
    return metadata;
  }

  /** One unary call, its failure translated; `what` names it in errors. */
  call<T>(
    what: string,
    invoke: (metadata: Metadata, options: Partial<CallOptions>, done: Callback<T>) => unknown,
    options: { lease?: string; timeoutMs?: number } = {},
  ): Promise<T> {
    const deadline = new Date(Date.now() + (options.timeoutMs ?? DEFAULT_DEADLINE_MS));
    return new Promise<T>((resolve, reject) => {
      invoke(this.metadata(options.lease), { deadline }, (error, value) =>
        error ? reject(containerdError(error, what, this.socketPath)) : resolve(value),
      );
    });
  }

  /** Like `call`, but NOT_FOUND gives undefined. */
  async callOrMissing<T>(
    what: string,
    invoke: (metadata: Metadata, options: Partial<CallOptions>, done: Callback<T>) => unknown,
  ): Promise<T | undefined> {
    try {
      return await this.call(what, invoke);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  close(): void {
    for (const client of [
      this.containers,
      this.content,
      this.diff,
      this.images,
      this.introspection,
      this.leases,
      this.snapshots,
      this.tasks,
      this.version,
    ])
      client.close();
    this.channel.close();
  }
}

/** The one table from containerd's gRPC status codes to botbox's errors. */
export function containerdError(error: unknown, what: string, socketPath: string): Error {
  if (error instanceof BotboxError) return error;
  const failure = error as Partial<ServiceError>;
  const message = `${what}: ${failure.details || failure.message || String(error)}`;
  switch (failure.code) {
    case status.NOT_FOUND:
      return new NotFoundError(message, { cause: error });
    case status.ALREADY_EXISTS:
    case status.FAILED_PRECONDITION:
      return new ConflictError(message, { cause: error });
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
      return new BadRequestError(message, { cause: error });
    case status.UNAVAILABLE:
      return new UnavailableError(`${what}: containerd does not answer at ${socketPath} (${failure.details ?? ""})`, {
        cause: error,
      });
  }
  return new UnavailableError(message, { cause: error });
}
