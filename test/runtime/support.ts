import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

import { AgentClient, type AgentEndpoint } from "../../packages/server/src/client/index.js";
import {
  CONTAINER_PREFIX,
  type ContainerRuntime,
  type ContainerSpec,
} from "../../packages/server/src/runtime/runtime.js";
import { SandboxRuntime, type SandboxRuntimeOptions } from "../../packages/server/src/runtime/sandbox/index.js";
import { AGENT_BUNDLE } from "../support/agent-process.js";

const run = promisify(execFile);

/** A fresh botbox home. Short on purpose: the agent socket path must fit in 108 bytes. */
export async function makeHome(): Promise<string> {
  return mkdtemp("/tmp/bbx-");
}

/** A sandbox runtime in a fresh home (with `options`): what sandboxSuite opens. */
export async function openSandbox(
  options: Partial<SandboxRuntimeOptions> = {},
): Promise<RuntimeFixture<SandboxRuntime>> {
  const home = await makeHome();
  return runtimeFixture(home, new SandboxRuntime({ home, agentBundle: AGENT_BUNDLE, ...options }));
}

export function botSpec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  const botId = overrides.botId ?? randomUUID();
  return {
    id: CONTAINER_PREFIX + botId,
    botId,
    image: "botbox/default",
    labels: {},
    env: {},
    network: "none",
    limits: {},
    agentToken: `token-${randomUUID()}`,
    ...overrides,
  };
}

export interface ReadyAgent {
  client: AgentClient;
  endpoint: AgentEndpoint;
  /** Milliseconds from the call until Info answered. */
  waitedMs: number;
}

/**
 * Waits until the task's agent answers Info. Each attempt uses a new client:
 * a gRPC channel that failed once waits out a reconnect backoff of a second.
 */
export async function waitForAgent(runtime: ContainerRuntime, id: string, timeoutMs = 15_000): Promise<ReadyAgent> {
  const started = Date.now();
  let lastError: unknown;
  while (Date.now() - started < timeoutMs) {
    const endpoint = await runtime.agentEndpoint(id);
    if (!endpoint) {
      const task = await runtime.taskInfo(id);
      if (task.state !== "running") throw new Error(`task of ${id} is ${task.state} (exit ${task.exitCode})`);
    } else {
      const client = new AgentClient(endpoint);
      try {
        await client.info({ timeoutMs: 1_000 });
        // Asked again once the agent answers, as the manager does: the first
        // call may have come before the socket was bound, and the sandbox
        // takes hold of the socket only when it finds one there.
        await runtime.agentEndpoint(id);
        return { client, endpoint, waitedMs: Date.now() - started };
      } catch (error) {
        lastError = error;
        client.close();
      }
    }
    await sleep(15);
  }
  throw new Error(`agent of ${id} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

/** Remembers what a test started, and tears all of it down in `after`, failures or not. */
export class Janitor {
  private readonly containers = new Map<string, ContainerRuntime>();
  private readonly clients: AgentClient[] = [];

  track(runtime: ContainerRuntime, id: string): string {
    this.containers.set(id, runtime);
    return id;
  }

  client(agent: ReadyAgent): AgentClient {
    this.clients.push(agent.client);
    return agent.client;
  }

  async cleanUp(): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    for (const [id, runtime] of this.containers) {
      await runtime.stopTask(id, { timeoutMs: 2_000 }).catch(() => {});
      await runtime.deleteContainer(id).catch(() => {});
    }
    this.containers.clear();
  }
}

/**
 * A `docker save` style tar: manifest.json, a config, and one layer tar per
 * entry of `layers` (path -> content; a content of null writes a whiteout).
 */
export async function buildImageTar(folder: string, layers: Record<string, string | null>[]): Promise<string> {
  const root = path.join(folder, "image");
  await mkdir(root, { recursive: true });
  const layerNames: string[] = [];
  for (const [index, files] of layers.entries()) {
    const source = path.join(folder, `layer-${index}`);
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(
        source,
        content === null ? path.join(path.dirname(name), `.wh.${path.basename(name)}`) : name,
      );
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content ?? "");
    }
    await mkdir(path.join(root, `l${index}`));
    await run("tar", ["-cf", path.join(root, `l${index}`, "layer.tar"), "-C", source, "."]);
    layerNames.push(`l${index}/layer.tar`);
  }
  await writeFile(path.join(root, "config.json"), JSON.stringify({ config: { Env: ["PATH=/bin", "IMAGE_VAR=yes"] } }));
  await writeFile(
    path.join(root, "manifest.json"),
    JSON.stringify([{ Config: "config.json", RepoTags: ["test/image:1"], Layers: layerNames }]),
  );
  const tar = path.join(folder, "image.tar");
  await run("tar", ["-cf", tar, "-C", root, "."]);
  await rm(root, { recursive: true });
  return tar;
}

/** A runtime in a fresh home, and what removes both: what a backend's test support opens. */
export interface RuntimeFixture<R extends ContainerRuntime> {
  home: string;
  runtime: R;
  close(): Promise<void>;
}

/** The fixture of a runtime made in `home`: closing it closes the runtime, then removes the home. */
export function runtimeFixture<R extends ContainerRuntime>(home: string, runtime: R): RuntimeFixture<R> {
  return {
    home,
    runtime,
    close: async () => {
      await runtime.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** What a backend suite's tests work with; see backendSuite. */
export interface BackendSuite<R extends ContainerRuntime> {
  /** The runtime under test (set in the suite's `before`). */
  readonly runtime: R;
  readonly home: string;
  readonly janitor: Janitor;
  /** A bot of the suite's image, created on `on` (the suite's runtime by default) and cleaned up after the suite. */
  created(overrides?: Partial<ContainerSpec>, on?: R): Promise<ContainerSpec>;
  /** A bot created, started and answering. */
  started(overrides?: Partial<ContainerSpec>, on?: R): Promise<[ContainerSpec, AgentClient]>;
  /** Starts a stopped bot's task again; its agent, answering. */
  startedAgain(spec: ContainerSpec, on?: R): Promise<AgentClient>;
  /** A command's trimmed stdout. */
  sh(client: AgentClient, command: string): Promise<string>;
  /** A command's stdout and stderr together, trimmed: for tests that match an error message. */
  output(client: AgentClient, command: string): Promise<string>;
}

/**
 * Called inside a `describe`: `open` makes the runtime in its `before`;
 * every bot the suite made is removed in its `after`, then `beforeClose`
 * runs and the fixture is closed. dockerSuite and containerdSuite are this
 * with their backend's fixture.
 */
export function backendSuite<R extends ContainerRuntime>(
  open: () => Promise<RuntimeFixture<R>>,
  options: { image: string; startTimeoutMs?: number; beforeClose?: () => Promise<void> },
): BackendSuite<R> {
  let fixture: RuntimeFixture<R> | undefined;
  const janitor = new Janitor();
  const opened = () => {
    if (!fixture) throw new Error("the suite's runtime is made in its before hook");
    return fixture;
  };
  const suite: BackendSuite<R> = {
    get runtime() {
      return opened().runtime;
    },
    get home() {
      return opened().home;
    },
    janitor,
    async created(overrides = {}, on = suite.runtime) {
      const spec = botSpec({ image: options.image, ...overrides });
      janitor.track(on, spec.id);
      await on.createContainer(spec);
      return spec;
    },
    async started(overrides = {}, on = suite.runtime) {
      const spec = await suite.created(overrides, on);
      return [spec, await suite.startedAgain(spec, on)];
    },
    async startedAgain(spec, on = suite.runtime) {
      await on.startTask(spec.id);
      return janitor.client(await waitForAgent(on, spec.id, options.startTimeoutMs));
    },
    sh: async (client, command) => (await client.exec(command)).stdout.trim(),
    async output(client, command) {
      const result = await client.exec(command);
      return `${result.stdout}${result.stderr}`.trim();
    },
  };
  before(async () => {
    fixture = await open();
  });
  after(async () => {
    await janitor.cleanUp();
    await options.beforeClose?.();
    await fixture?.close();
  });
  return suite;
}

/** What a sandbox suite's tests work with; see sandboxSuite. */
export interface SandboxSuite extends BackendSuite<SandboxRuntime> {
  /** Another runtime on the same home, as a restarted server would make it. */
  another(options?: Partial<SandboxRuntimeOptions>): SandboxRuntime;
}

/**
 * Called inside a `describe`: a sandbox runtime in a fresh home (with
 * `options`) for the suite's tests, whose agents must answer within
 * `startTimeoutMs` (waitForAgent's default when unset); every bot it made,
 * the runtime and the home are removed after the suite.
 */
export function sandboxSuite(
  options: Partial<SandboxRuntimeOptions> = {},
  { startTimeoutMs }: { startTimeoutMs?: number } = {},
): SandboxSuite {
  const suite = backendSuite(() => openSandbox(options), {
    image: "botbox/default",
    ...(startTimeoutMs ? { startTimeoutMs } : {}),
  });
  return Object.assign(suite, {
    another: (overrides: Partial<SandboxRuntimeOptions> = {}) =>
      new SandboxRuntime({ home: suite.home, agentBundle: AGENT_BUNDLE, ...options, ...overrides }),
  });
}
