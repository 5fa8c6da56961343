/**
 * What the Docker tests share: whether a daemon answers at DOCKER_HOST, and a
 * runtime in a fresh home with the agent image loaded (from the tar
 * `images/build-agent-image.sh` writes).
 */
import { existsSync } from "node:fs";

import Docker from "dockerode";

import {
  DEFAULT_AGENT_IMAGE,
  DockerRuntime,
  type DockerRuntimeOptions,
} from "../../packages/server/src/runtime/docker/index.js";
import { AGENT_IMAGE_TAR } from "../support/runtimes.js";
import { type BackendSuite, backendSuite, makeHome, type RuntimeFixture, runtimeFixture } from "./support.js";

/** The daemon at DOCKER_HOST. */
export const dockerClient = (): Docker =>
  new Docker({ socketPath: process.env.DOCKER_HOST!.replace(/^unix:\/\//, "") });

/** Why the Docker tests cannot run here, or undefined when they can. */
export async function dockerUnavailable(): Promise<string | undefined> {
  const host = process.env.DOCKER_HOST;
  if (!host) return 'DOCKER_HOST is not set: start a daemon with `eval "export $(bash scripts/ci/docker.sh)"`';
  try {
    await dockerClient().ping();
  } catch (error) {
    return `the Docker daemon at ${host} does not answer: ${(error as Error).message}`;
  }
  if (!existsSync(AGENT_IMAGE_TAR)) return `${AGENT_IMAGE_TAR} is missing: run bash images/build-agent-image.sh`;
  return undefined;
}

export type DockerFixture = RuntimeFixture<DockerRuntime>;

/** A runtime in a fresh home (with `options`); the agent image is imported once per daemon. */
export async function openDocker(options: Partial<DockerRuntimeOptions> = {}): Promise<DockerFixture> {
  const home = await makeHome();
  const runtime = new DockerRuntime({ home, ...options });
  await runtime.ensureImage(DEFAULT_AGENT_IMAGE).catch(() => runtime.importImage(DEFAULT_AGENT_IMAGE, AGENT_IMAGE_TAR));
  return runtimeFixture(home, runtime);
}

/** What a Docker suite's tests work with; see dockerSuite. */
export interface DockerSuite extends BackendSuite<DockerRuntime> {
  /** Another runtime on the same home and bridge, as a restarted server would make it. */
  another(options?: Partial<DockerRuntimeOptions>): DockerRuntime;
}

/**
 * Called inside a `describe`: a Docker runtime in a fresh home, on a bridge
 * network of its own when `bridge` names one (removed afterwards), with
 * every bot it made removed after the suite.
 */
export function dockerSuite(options: { bridge?: string; startTimeoutMs?: number } = {}): DockerSuite {
  const bridge: Partial<DockerRuntimeOptions> = options.bridge ? { bridgeNetwork: options.bridge } : {};
  const suite = backendSuite(() => openDocker(bridge), {
    image: DEFAULT_AGENT_IMAGE,
    ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
    beforeClose: async () => {
      if (options.bridge)
        await dockerClient()
          .getNetwork(options.bridge)
          .remove()
          .catch(() => {});
    },
  });
  return Object.assign(suite, {
    another: (overrides: Partial<DockerRuntimeOptions> = {}) =>
      new DockerRuntime({ home: suite.home, ...bridge, ...overrides }),
  });
}
