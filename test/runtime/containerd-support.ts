/**
 * What the containerd tests share: whether a containerd answers at
 * BOTBOX_TEST_CONTAINERD_SOCKET (`scripts/ci/containerd.sh` starts one), and a
 * runtime in a fresh home with the agent image imported (from the tar
 * `images/build-agent-image.sh` writes). The runtime is loaded only when the
 * tests can run: it needs the generated API stubs.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import net from "node:net";
import { fileURLToPath } from "node:url";

import type {
  ContainerdRuntime,
  ContainerdRuntimeOptions,
} from "../../packages/server/src/runtime/containerd/index.js";
import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/defaults.js";
import { AGENT_IMAGE_TAR } from "../support/runtimes.js";
import { type BackendSuite, backendSuite, makeHome, type RuntimeFixture } from "./support.js";

const STUBS = fileURLToPath(new URL("../../packages/server/src/gen/containerd/", import.meta.url));
export const CONTAINERD_SOCKET = process.env.BOTBOX_TEST_CONTAINERD_SOCKET ?? "";

/** Why the containerd tests cannot run here, or undefined when they can. */
export async function containerdUnavailable(): Promise<string | undefined> {
  if (!CONTAINERD_SOCKET)
    return 'BOTBOX_TEST_CONTAINERD_SOCKET is not set: start one with `eval "export $(bash scripts/ci/containerd.sh)"`';
  if (!existsSync(STUBS))
    return "the containerd API stubs are missing: apt-get install golang-github-containerd-containerd-dev, then npm run gen";
  const answers = await new Promise<boolean>((resolve) => {
    const socket = net.connect(CONTAINERD_SOCKET, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
  if (!answers) return `nothing listens on ${CONTAINERD_SOCKET}`;
  if (process.getuid?.() !== 0) return "the containerd runtime needs root";
  if (!existsSync(AGENT_IMAGE_TAR)) return `${AGENT_IMAGE_TAR} is missing: run bash images/build-agent-image.sh`;
  return undefined;
}

export interface ContainerdFixture extends RuntimeFixture<ContainerdRuntime> {
  /** Another runtime on the same home (a server restart), closed with the fixture. */
  open(options?: Partial<ContainerdRuntimeOptions>): Promise<ContainerdRuntime>;
}

/** A runtime in a fresh home; the agent image is imported once per containerd. */
export async function openContainerd(options: Partial<ContainerdRuntimeOptions> = {}): Promise<ContainerdFixture> {
  const { ContainerdRuntime } = await import("../../packages/server/src/runtime/containerd/index.js");
  const home = await makeHome();
  const opened: ContainerdRuntime[] = [];
  const open = async (more: Partial<ContainerdRuntimeOptions> = {}) => {
    const runtime = new ContainerdRuntime({
      home,
      socketPath: CONTAINERD_SOCKET,
      knownImages: { [DEFAULT_AGENT_IMAGE]: AGENT_IMAGE_TAR },
      ...options,
      ...more,
    });
    opened.push(runtime);
    return runtime;
  };
  const runtime = await open();
  await runtime.ensureImage(DEFAULT_AGENT_IMAGE);
  return {
    home,
    runtime,
    open,
    close: async () => {
      for (const each of opened) await each.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** What a containerd suite's tests work with; see containerdSuite. */
export interface ContainerdSuite extends BackendSuite<ContainerdRuntime> {
  /** Another runtime on the same home (a server restart, or other options), closed with the suite. */
  open(options?: Partial<ContainerdRuntimeOptions>): Promise<ContainerdRuntime>;
}

/**
 * Called inside a `describe`: a containerd runtime in a fresh home (with
 * `options`), the agent image imported, every bot it made removed after the
 * suite. A slow start (gVisor, a disk image) is given `startTimeoutMs`.
 */
export function containerdSuite(
  options: { startTimeoutMs?: number; runtime?: Partial<ContainerdRuntimeOptions> } = {},
): ContainerdSuite {
  let fixture: ContainerdFixture | undefined;
  const suite = backendSuite(
    async () => {
      fixture = await openContainerd(options.runtime);
      return fixture;
    },
    { image: DEFAULT_AGENT_IMAGE, ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}) },
  );
  return Object.assign(suite, {
    open: (more: Partial<ContainerdRuntimeOptions> = {}) => {
      if (!fixture) throw new Error("containerdSuite: the runtime is made in the suite's before hook");
      return fixture.open(more);
    },
  });
}
