/**
 * What the Docker tests share: whether a daemon answers at DOCKER_HOST, and a
 * runtime in a fresh home with the agent image loaded (from the tar
 * `images/build-agent-image.sh` writes).
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";

import Docker from "dockerode";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import {
  DEFAULT_AGENT_IMAGE,
  DockerRuntime,
  type DockerRuntimeOptions,
} from "../../packages/server/src/runtime/docker/index.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { botSpec, Janitor, makeHome, waitForAgent } from "./support.js";

export const AGENT_IMAGE_TAR = fileURLToPath(new URL("../../images/dist/botbox-agent.tar", import.meta.url));

/** Why the Docker tests cannot run here, or undefined when they can. */
export async function dockerUnavailable(): Promise<string | undefined> {
  const host = process.env.DOCKER_HOST;
  if (!host) return 'DOCKER_HOST is not set: start a daemon with `eval "export $(bash scripts/ci/docker.sh)"`';
  try {
    await new Docker({ socketPath: host.replace(/^unix:\/\//, "") }).ping();
  } catch (error) {
    return `the Docker daemon at ${host} does not answer: ${(error as Error).message}`;
  }
  if (!existsSync(AGENT_IMAGE_TAR)) return `${AGENT_IMAGE_TAR} is missing: run bash images/build-agent-image.sh`;
  return undefined;
}

export interface DockerFixture {
  home: string;
  runtime: DockerRuntime;
  close(): Promise<void>;
}

/** A runtime in a fresh home; the agent image is imported once per daemon. */
export async function openDocker(): Promise<DockerFixture> {
  const home = await makeHome();
  const runtime = new DockerRuntime({ home });
  await runtime.ensureImage(DEFAULT_AGENT_IMAGE).catch(() => runtime.importImage(DEFAULT_AGENT_IMAGE, AGENT_IMAGE_TAR));
  return {
    home,
    runtime,
    close: async () => {
      await runtime.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** What a Docker suite's tests work with; see dockerSuite. */
export interface DockerSuite {
  /** The runtime under test (set in the suite's `before`). */
  readonly runtime: DockerRuntime;
  readonly home: string;
  readonly janitor: Janitor;
  /** Another runtime on the same home and bridge, as a restarted server would make it. */
  another(options?: Partial<DockerRuntimeOptions>): DockerRuntime;
  /** A bot of the agent image, created (and cleaned up after the suite). */
  created(overrides?: Partial<ContainerSpec>): Promise<ContainerSpec>;
  /** A bot created, started and answering. */
  started(overrides?: Partial<ContainerSpec>): Promise<[ContainerSpec, AgentClient]>;
  /** A command's trimmed stdout. */
  sh(client: AgentClient, command: string): Promise<string>;
}

/**
 * Called inside a `describe`: a Docker runtime in a fresh home, on a bridge
 * network of its own when `bridge` names one (removed afterwards), with
 * every bot it made removed after the suite.
 */
export function dockerSuite(options: { bridge?: string; startTimeoutMs?: number } = {}): DockerSuite {
  let fixture: DockerFixture | undefined;
  let runtime: DockerRuntime | undefined;
  const janitor = new Janitor();
  const runtimeOptions = (home: string): DockerRuntimeOptions => ({
    home,
    ...(options.bridge ? { bridgeNetwork: options.bridge } : {}),
  });
  const suite: DockerSuite = {
    get runtime() {
      if (!runtime) throw new Error("dockerSuite: the runtime is made in the suite's before hook");
      return runtime;
    },
    get home() {
      if (!fixture) throw new Error("dockerSuite: the home is made in the suite's before hook");
      return fixture.home;
    },
    janitor,
    another: (overrides = {}) => new DockerRuntime({ ...runtimeOptions(suite.home), ...overrides }),
    async created(overrides = {}) {
      const spec = botSpec({ image: DEFAULT_AGENT_IMAGE, ...overrides });
      janitor.track(suite.runtime, spec.id);
      await suite.runtime.createContainer(spec);
      return spec;
    },
    async started(overrides = {}) {
      const spec = await suite.created(overrides);
      await suite.runtime.startTask(spec.id);
      return [spec, janitor.client(await waitForAgent(suite.runtime, spec.id, options.startTimeoutMs))];
    },
    sh: async (client, command) => (await client.exec(command)).stdout.trim(),
  };
  before(async () => {
    fixture = await openDocker();
    runtime = new DockerRuntime(runtimeOptions(fixture.home));
  });
  after(async () => {
    await janitor.cleanUp();
    if (options.bridge)
      await new Docker({ socketPath: process.env.DOCKER_HOST!.replace(/^unix:\/\//, "") })
        .getNetwork(options.bridge)
        .remove()
        .catch(() => {});
    await fixture?.close();
  });
  return suite;
}
