// A manager over the FakeRuntime (real agents as plain host processes) and a
// SQLite store in a fresh home: the manager's own code, run without root,
// daemons or network. openManagerFixture (support.ts) is the same over a
// real backend.
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { type BotManager } from "../../packages/server/src/manager/index.js";
import { openStore, type Store } from "../../packages/server/src/store/index.js";
import { makeHome } from "../runtime/support.js";
import { FAKE_IMAGE, FakeRuntime } from "../support/fake-runtime.js";
import { managerMaker } from "./support.js";

export interface FakeManagerFixture {
  readonly home: string;
  readonly store: Store;
  readonly runtime: FakeRuntime;
  /** A manager over the fixture's store and `runtime` (default: the fixture's), as a restarted server would build. */
  manager(runtime?: FakeRuntime, startTimeoutMs?: number): BotManager;
  /** A second runtime on the same home, as a restarted server would open. */
  reopenRuntime(options?: { agentBundle?: string }): FakeRuntime;
  /** An agent bundle that exits at once with `code`: a real start that fails. */
  brokenAgentBundle(code: number): Promise<string>;
  /** The bot's lifecycle events, oldest first. */
  eventTypes(containerId: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function openFakeManagerFixture(): Promise<FakeManagerFixture> {
  const home = await makeHome();
  const store = await openStore({ sqlitePath: path.join(home, "botbox.db") });
  const runtime = new FakeRuntime({ home });
  const managers = managerMaker({ runtime, store, image: FAKE_IMAGE, startTimeoutMs: 15_000 });
  const manager = (over: FakeRuntime = runtime, startTimeoutMs = 15_000) =>
    managers.make({ runtime: over, startTimeoutMs });
  return {
    home,
    store,
    runtime,
    manager,
    reopenRuntime: (options = {}) => new FakeRuntime({ home, ...options }),
    async brokenAgentBundle(code) {
      const bundle = path.join(home, `exits-${code}.js`);
      await writeFile(bundle, `process.exit(${code});\n`);
      return bundle;
    },
    eventTypes: async (containerId) => (await store.listEvents(containerId)).map((event) => event.eventType).reverse(),
    async close() {
      await managers.cleanUp();
      await runtime.close();
      await store.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
