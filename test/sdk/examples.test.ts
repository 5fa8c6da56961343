// The SDK's examples (packages/sdk/examples, quoted by docs/sdk.md) run as
// a user runs them, against a real `botbox serve`, and print what they say.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import type { BotboxServer } from "../support/botbox-server.js";
import { startSdkServer, stopSdkServer } from "./support.js";

const run = promisify(execFile);
const EXAMPLES = fileURLToPath(new URL("../../packages/sdk/examples/", import.meta.url));

describe("the SDK's examples", () => {
  let server: BotboxServer | undefined;
  before(async () => {
    ({ server } = await startSdkServer());
  });
  after(() => stopSdkServer(server));

  const example = async (file: string) => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", `${EXAMPLES}${file}`], {
      env: { ...process.env, BOTBOX_URL: server!.url, BOTBOX_TOKEN: server!.adminToken },
      timeout: 120_000,
    });
    return stdout;
  };

  it("quickstart.ts runs a command, writes and reads a file, and shows a typed refusal", async () => {
    const stdout = await example("quickstart.ts");
    assert.match(stdout, /^exit 0: Linux 42$/m);
    assert.match(stdout, /^read back: hello from the SDK$/m);
    assert.match(stdout, /^files: .*hello\.txt/m);
    assert.match(stdout, /^refused: 404 not_found$/m);
  });

  it("streams.ts streams exec output, attaches to a process and watches a folder", async () => {
    const stdout = await example("streams.ts");
    assert.match(stdout, /stdout: tick 1\nstdout: tick 2\nstdout: tick 3\nexec exit 0/);
    assert.match(stdout, /^build: done$/m);
    assert.match(stdout, /^build exit 0$/m);
    assert.match(stdout, /^watch: created note\.txt$/m);
  });

  it("leaves no bot behind", async () => {
    const { body } = await server!.api("GET", "/bots");
    assert.deepEqual(body.bots, []);
  });
});
