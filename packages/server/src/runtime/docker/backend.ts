/** The Docker backend's entry in the registry (../backends.ts): a Docker daemon, found as the docker CLI finds it. */
import { existsSync } from "node:fs";

import type { RuntimeBackend } from "../backend.js";
import { DEFAULT_AGENT_IMAGE } from "./defaults.js";

const DEFAULT_SOCKET = "/var/run/docker.sock";

export const dockerBackend: RuntimeBackend = {
  name: "docker",
  summary: "containers of a Docker daemon (DOCKER_HOST, else /var/run/docker.sock)",
  defaultImage: DEFAULT_AGENT_IMAGE,
  upgrades: true,
  unavailable() {
    const host = process.env.DOCKER_HOST;
    // A TCP daemon is only known to be there by asking it: botbox doctor does.
    if (host && !host.startsWith("unix://")) return undefined;
    const socket = host ? host.slice("unix://".length) : DEFAULT_SOCKET;
    return existsSync(socket) ? undefined : `no Docker daemon socket at ${socket}: start dockerd, or set DOCKER_HOST`;
  },
  async create({ config, knownImages }) {
    // Loaded only when used: dockerode and its dependencies would slow every other server's start.
    const { DockerRuntime } = await import("./docker-runtime.js");
    const runtime = new DockerRuntime({ home: config.server.home, knownImages });
    // gVisor and the disk quota depend on the daemon; one that does not answer yet offers neither.
    await runtime.detectCapabilities().catch(() => undefined);
    return runtime;
  },
  sameImage: (image, ref) => image === ref,
};
