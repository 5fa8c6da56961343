/** The sandbox backend's entry in the registry (../backends.ts): bubblewrap, no daemon. */
import { existsSync } from "node:fs";

import { UnavailableError } from "../../errors.js";
import type { RuntimeBackend } from "../backend.js";
import { findBwrap } from "./find-bwrap.js";
import { DEFAULT_IMAGE } from "./images/image-store.js";

export const sandboxBackend: RuntimeBackend = {
  name: "sandbox",
  summary: "bubblewrap sandboxes run by the server itself, no daemon (the default)",
  defaultImage: DEFAULT_IMAGE,
  upgrades: false,
  unavailable(config) {
    try {
      findBwrap(config.sandbox.bwrap_path || undefined);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  },
  async create({ config, logger, agentBundle }) {
    if (!existsSync(agentBundle))
      throw new UnavailableError(`the agent bundle ${agentBundle} is missing: run "npm run build" first`);
    const { SandboxRuntime } = await import("./sandbox-runtime.js");
    const runtime = new SandboxRuntime({
      home: config.server.home,
      agentBundle,
      ...(config.sandbox.bwrap_path ? { bwrapPath: config.sandbox.bwrap_path } : {}),
      networkPool: config.sandbox.network_pool,
      logger,
    });
    // Whether limits hold (cgroups) decides which default limits the manager applies.
    await runtime.detectCapabilities();
    return runtime;
  },
  sameImage: (image, ref) => image === ref,
};
