// Every runtime backend a test or benchmark can run in process, by name: what
// `BOTBOX_TEST_RUNTIME` picks for the suites that build their own manager,
// and what bench/backends.ts compares. A backend is one entry here.
import { fileURLToPath } from "node:url";

import type { ContainerRuntime } from "../../packages/server/src/runtime/runtime.js";
import { AGENT_BUNDLE } from "./agent-process.js";

/** The agent image `images/build-agent-image.sh` writes, for the container backends. */
export const AGENT_IMAGE_TAR = fileURLToPath(new URL("../../images/dist/botbox-agent.tar", import.meta.url));

/** A runtime on a home folder, and the image its bots run. */
export interface RuntimeUnderTest {
  readonly runtime: ContainerRuntime;
  readonly image: string;
}

export interface RuntimeFactory {
  /** Why this backend cannot run here (its service is not configured), or undefined. */
  unavailable(): string | undefined;
  open(home: string): Promise<RuntimeUnderTest>;
}

// Backends are imported only when opened: dockerode alone adds ~70 ms to a start.
export const RUNTIME_FACTORIES: Readonly<Record<string, RuntimeFactory>> = {
  sandbox: {
    unavailable: () => undefined,
    async open(home) {
      const { DEFAULT_IMAGE, SandboxRuntime } = await import("../../packages/server/src/runtime/sandbox/index.js");
      return { runtime: new SandboxRuntime({ home, agentBundle: AGENT_BUNDLE }), image: DEFAULT_IMAGE };
    },
  },
  docker: {
    unavailable: () =>
      process.env.DOCKER_HOST ? undefined : 'DOCKER_HOST is not set (eval "export $(bash scripts/ci/docker.sh)")',
    async open(home) {
      const { DEFAULT_AGENT_IMAGE, DockerRuntime } = await import("../../packages/server/src/runtime/docker/index.js");
      // The built image is loaded the first time a bot needs it, as `botbox serve` does.
      const runtime = new DockerRuntime({ home, knownImages: { [DEFAULT_AGENT_IMAGE]: AGENT_IMAGE_TAR } });
      return { runtime, image: DEFAULT_AGENT_IMAGE };
    },
  },
  containerd: {
    unavailable: () =>
      process.env.BOTBOX_TEST_CONTAINERD_SOCKET
        ? undefined
        : 'BOTBOX_TEST_CONTAINERD_SOCKET is not set (eval "export $(bash scripts/ci/containerd.sh)")',
    async open(home) {
      const { ContainerdRuntime } = await import("../../packages/server/src/runtime/containerd/index.js");
      const { DEFAULT_AGENT_IMAGE } = await import("../../packages/server/src/runtime/docker/defaults.js");
      const runtime = new ContainerdRuntime({
        home,
        socketPath: process.env.BOTBOX_TEST_CONTAINERD_SOCKET!,
        knownImages: { [DEFAULT_AGENT_IMAGE]: AGENT_IMAGE_TAR },
      });
      return { runtime, image: DEFAULT_AGENT_IMAGE };
    },
  },
};

/** Opens the backend by name; an unknown or unavailable one is an error that says why. */
export function openRuntime(name: string, home: string): Promise<RuntimeUnderTest> {
  const factory = RUNTIME_FACTORIES[name];
  if (!factory)
    throw new Error(`unknown runtime backend "${name}": one of ${Object.keys(RUNTIME_FACTORIES).join(", ")}`);
  const why = factory.unavailable();
  if (why) throw new Error(`the ${name} backend is not available: ${why}`);
  return factory.open(home);
}

/** The backends whose services are configured in this environment, sandbox first. */
export function availableRuntimes(): string[] {
  return Object.keys(RUNTIME_FACTORIES).filter((name) => RUNTIME_FACTORIES[name]!.unavailable() === undefined);
}
