/**
 * What the Docker tests share: whether a daemon answers at DOCKER_HOST, and a
 * runtime in a fresh home with the agent image loaded (from the tar
 * `images/build-agent-image.sh` writes).
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import Docker from "dockerode";

import { DEFAULT_AGENT_IMAGE, DockerRuntime } from "../../packages/server/src/runtime/docker/index.js";
import { makeHome } from "./support.js";

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
