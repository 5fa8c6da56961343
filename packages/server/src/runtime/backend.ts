/**
 * What each runtime backend folder exports to the registry (backends.ts): a
 * descriptor that names the backend, says cheaply whether it can start on
 * this machine, and creates its runtime. Descriptors load their backend's
 * code only in `create`: dockerode or the containerd API stubs would slow
 * every server's start otherwise.
 */
import type { Logger } from "pino";

import type { BotboxConfig } from "../config/schema.js";
import type { ContainerRuntime } from "./runtime.js";

/** What `create` gets besides the configuration. */
export interface BackendContext {
  config: BotboxConfig;
  logger: Logger;
  /**
   * Images the container backends load from an archive the first time a bot
   * needs them, by reference: the agent image images/build-agent-image.sh
   * writes. The sandbox ignores it.
   */
  knownImages: Record<string, string>;
  /** The agent bundle the sandbox stages (packages/agent/dist/agent.js unless BOTBOX_AGENT_BUNDLE says otherwise). */
  agentBundle: string;
}

export interface RuntimeBackend {
  /** The value of `[runtime] backend`. */
  readonly name: string;
  /** One line for `botbox doctor` and errors. */
  readonly summary: string;
  /** The image bots run when `[mcp] image` is not set. */
  readonly defaultImage: string;
  /**
   * Whether its runtime offers the optional `upgradeContainer` (recreate a
   * bot on a rebuilt image, keeping its data): images/recreate-bots.ts
   * chooses by it without creating a runtime. backends.test.ts holds it to
   * the class.
   */
  readonly upgrades: boolean;
  /**
   * Why this backend cannot start here, found without starting it (a binary
   * or a socket that is missing), or undefined. `botbox doctor` checks
   * further.
   */
  unavailable(config: BotboxConfig): string | undefined;
  create(context: BackendContext): Promise<ContainerRuntime>;
  /** Whether a container's image `image` is the reference `ref` (for recreating bots on a rebuilt image). */
  sameImage(image: string, ref: string): boolean;
}
