import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chown, rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { makeHome } from "./support.js";

const run = promisify(execFile);
const CYCLE = fileURLToPath(new URL("./fixtures/unprivileged-cycle.ts", import.meta.url));
const NOBODY = 65534;

describe(
  "sandbox runtime without root",
  { skip: process.getuid?.() !== 0 && "run as root to test as another user" },
  () => {
    let home: string;

    before(async () => {
      home = await makeHome();
      await chown(home, NOBODY, NOBODY);
    });
    after(async () => {
      await rm(home, { recursive: true, force: true });
    });

    it("runs bots as the server's own user, with copies for snapshots, and refuses limits it cannot hold", async () => {
      const { stdout } = await run(
        "setpriv",
        [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, "--import", "tsx", CYCLE, home],
        { env: { PATH: process.env.PATH, HOME: home } },
      );
      const result = JSON.parse(stdout) as {
        id: string;
        changed: string;
        restored: string;
        refusal: string;
        doctor: Record<string, boolean>;
      };
      assert.equal(result.id, "0", "root inside its namespace");
      assert.equal(result.changed, "v2");
      assert.equal(result.restored, "v1");
      assert.equal(result.doctor["user namespaces"], true);
      assert.equal(result.doctor["snapshots"], false, "doctor says snapshots are full copies");
      assert.equal(result.doctor["resource limits"], false, "doctor says limits are not applied");
      assert.match(
        result.refusal,
        /^BadRequestError: limits\.memoryBytes, limits\.pids: this sandbox cannot enforce them: the server does not run as root$/,
      );
    });
  },
);
