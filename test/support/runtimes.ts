// Every runtime backend a test or benchmark can run in process, by name: what
// `BOTBOX_TEST_RUNTIME` picks for the suites that build their own manager,
// and what bench/backends.ts compares. The backends themselves come from the
// server's registry (packages/server/src/runtime/backends.ts), created as
// `botbox serve` creates them; what is the tests' own is only where each
// backend's service is (the throw-away daemons of scripts/ci/).
import { fileURLToPath } from "node:url";

import { pino } from "pino";

import { configSchema } from "../../packages/server/src/config/index.js";
import { BACKEND_NAMES, backendNamed } from "../../packages/server/src/runtime/backends.js";
import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/defaults.js";
import type { ContainerRuntime } from "../../packages/server/src/runtime/runtime.js";
import { AGENT_BUNDLE } from "./agent-process.js";

/** The agent image `images/build-agent-image.sh` writes, for the container backends. */
export const AGENT_IMAGE_TAR = fileURLToPath(new URL("../../images/dist/botbox-agent.tar", import.meta.url));

/** A runtime on a home folder, and the image its bots run. */
export interface RuntimeUnderTest {
  readonly runtime: ContainerRuntime;
  readonly image: string;
}

/** Why the tests cannot use a backend here: its service is not configured for them. */
const TEST_SERVICES: Readonly<Record<string, () => string | undefined>> = {
  sandbox: () => undefined,
  docker: () =>
    process.env.DOCKER_HOST ? undefined : 'DOCKER_HOST is not set (eval "export $(bash scripts/ci/docker.sh)")',
  containerd: () =>
    process.env.BOTBOX_TEST_CONTAINERD_SOCKET
      ? undefined
      : 'BOTBOX_TEST_CONTAINERD_SOCKET is not set (eval "export $(bash scripts/ci/containerd.sh)")',
};

/** Why backend `name` is not available to the tests, or undefined. */
export function runtimeUnavailable(name: string): string | undefined {
  if (!BACKEND_NAMES.includes(name)) return `unknown runtime backend "${name}": one of ${BACKEND_NAMES.join(", ")}`;
  return (TEST_SERVICES[name] ?? (() => `no test service is known for the ${name} backend`))();
}

/** Opens the backend by name; an unknown or unavailable one is an error that says why. */
export async function openRuntime(name: string, home: string): Promise<RuntimeUnderTest> {
  const why = runtimeUnavailable(name);
  if (why) throw new Error(`the ${name} backend is not available: ${why}`);
  const backend = backendNamed(name);
  const config = configSchema.parse({
    server: { home },
    runtime: { backend: name },
    containerd: { socket_path: process.env.BOTBOX_TEST_CONTAINERD_SOCKET || undefined },
  });
  // The built agent image is loaded the first time a bot needs it, as `botbox serve` does.
  const runtime = await backend.create({
    config,
    logger: pino({ level: "silent" }),
    knownImages: { [DEFAULT_AGENT_IMAGE]: AGENT_IMAGE_TAR },
    agentBundle: AGENT_BUNDLE,
  });
  return { runtime, image: backend.defaultImage };
}

/** The backends whose services are configured in this environment, sandbox first. */
export function availableRuntimes(): string[] {
  return BACKEND_NAMES.filter((name) => runtimeUnavailable(name) === undefined);
}
