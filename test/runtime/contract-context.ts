/**
 * What the runtime contract's parts share (contract.ts makes it inside its
 * `describe`): the runtime under test, its options, and helpers that make
 * bots the janitor removes after the suite.
 */
import { rm } from "node:fs/promises";
import { after, it, type TestContext } from "node:test";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import type { ContainerRuntime, ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { botSpec, Janitor, makeHome, type RuntimeFixture, waitForAgent } from "./support.js";

export interface RuntimeContractOptions {
  name: string;
  /** Why the backend's service is not there to test (no daemon): the contract is one skipped test then. */
  unavailable?: string;
  newRuntime: () => ContainerRuntime | Promise<ContainerRuntime>;
  /**
   * Another instance on the same state as `runtime` (one `newRuntime`
   * made), as a restarted server opens it. The contract closes it.
   */
  reopen: (runtime: ContainerRuntime) => ContainerRuntime | Promise<ContainerRuntime>;
  /** The image test containers use; it must be available through ensureImage. */
  image?: string;
  /**
   * `image` as a docker-save tar. A backend with the optional
   * `upgradeContainer` gives it: the upgrade test imports it under a ref of
   * its own, then a rebuilt variant under the same ref.
   */
  imageTar?: string;
  skip?: { test: string; reason: string }[];
}

/**
 * `newRuntime` and `reopen` for a backend whose state is its home folder:
 * each runtime in a fresh home, reopened on it; the homes go after the file's tests.
 */
export function runtimesInHomes(
  make: (home: string) => ContainerRuntime,
): Pick<RuntimeContractOptions, "newRuntime" | "reopen"> {
  const homes = new Map<ContainerRuntime, string>();
  after(async () => {
    for (const home of homes.values()) await rm(home, { recursive: true, force: true });
  });
  return {
    newRuntime: async () => {
      const home = await makeHome();
      const runtime = make(home);
      homes.set(runtime, home);
      return runtime;
    },
    reopen: (runtime) => make(homes.get(runtime)!),
  };
}

/**
 * `newRuntime` and `reopen` from a backend's test fixture (its daemon's
 * runtime in a fresh home); the fixtures are closed after the file's tests.
 */
export function runtimesOfFixtures<F extends RuntimeFixture<ContainerRuntime>>(
  open: () => Promise<F>,
  reopen: (fixture: F) => ContainerRuntime | Promise<ContainerRuntime>,
): Pick<RuntimeContractOptions, "newRuntime" | "reopen"> {
  const fixtures: F[] = [];
  after(async () => {
    for (const fixture of fixtures) await fixture.close();
  });
  return {
    newRuntime: async () => {
      const fixture = await open();
      fixtures.push(fixture);
      return fixture.runtime;
    },
    reopen: (runtime) => reopen(fixtures.find((fixture) => fixture.runtime === runtime)!),
  };
}

export interface ContractContext {
  readonly options: RuntimeContractOptions;
  /** The runtime under test (made in the suite's `before`). */
  readonly runtime: ContainerRuntime;
  readonly janitor: Janitor;
  /** False for a backend whose bots are plain host processes (capabilities.confined). */
  confined(): boolean;
  /** A spec of the contract's image; network "host" on an unconfined backend. */
  spec(overrides?: Partial<ContainerSpec>): ContainerSpec;
  create(overrides?: Partial<ContainerSpec>): Promise<ContainerSpec>;
  started(overrides?: Partial<ContainerSpec>): Promise<[ContainerSpec, AgentClient]>;
  /** Starts a stopped container's task again; its agent, answering. */
  startedAgain(id: string): Promise<AgentClient>;
  /** A command's trimmed stdout. */
  sh(client: AgentClient, command: string): Promise<string>;
  /** A test of the contract, skipped when the options name it. */
  test(name: string, body: (t: TestContext) => Promise<void>): void;
}

export function contractContext(options: RuntimeContractOptions, runtime: () => ContainerRuntime): ContractContext {
  const image = options.image ?? "botbox/default";
  const janitor = new Janitor();
  const context: ContractContext = {
    options,
    get runtime() {
      return runtime();
    },
    janitor,
    confined: () => context.runtime.capabilities?.confined !== false,
    spec: (overrides = {}) =>
      botSpec({ image, ...(context.confined() ? {} : { network: "host" as const }), ...overrides }),
    async create(overrides = {}) {
      const created = context.spec(overrides);
      janitor.track(context.runtime, created.id);
      await context.runtime.createContainer(created);
      return created;
    },
    async started(overrides = {}) {
      const created = await context.create(overrides);
      return [created, await context.startedAgain(created.id)];
    },
    async startedAgain(id) {
      await context.runtime.startTask(id);
      return janitor.client(await waitForAgent(context.runtime, id));
    },
    sh: async (client, command) => (await client.exec(command)).stdout.trim(),
    test(name, body) {
      const skipped = options.skip?.find((entry) => entry.test === name);
      it(name, skipped ? { skip: skipped.reason } : {}, body);
    },
  };
  return context;
}
