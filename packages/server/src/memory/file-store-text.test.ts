// Memory files that are not UTF-8 text, on a real agent process: the store
// reads every file through the one strict whole-file read
// (workspace/read-whole-text.ts), so such a file is skipped, and kept aside
// whole before a day file takes its place.
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { AgentProcess } from "../../../../test/support/agent-process.js";
import { stopAgentWithClient } from "../../../../test/support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../../../../test/support/shared-agent.js";
import type { AgentClient } from "../client/index.js";
import { MemoryFileStore } from "./file-store.js";

const NOW = new Date("2026-05-17T12:00:00Z");
const LATIN1 = Buffer.from("# Memory 2026-03-01\n\ncaf\xe9\n", "latin1");

describe("MemoryFileStore and bytes that are not UTF-8", () => {
  let agent: AgentProcess;
  let client: AgentClient;
  const warnings: string[] = [];
  let store: MemoryFileStore;
  const memoryDir = () => path.join(agent.dataDir, "memory");

  before(async () => {
    ({ agent, client } = await sharedAgentWithClient({ token: SHARED_AGENT_TOKEN }));
    store = new MemoryFileStore(client, { now: () => NOW, warn: (message) => warnings.push(message) });
  });
  after(() => stopAgentWithClient({ agent, client }));

  it("skips the file in listings and keeps its bytes aside when a day file replaces it", async () => {
    await mkdir(memoryDir(), { recursive: true });
    await writeFile(path.join(memoryDir(), "2026-03-01.md"), LATIN1);
    assert.deepEqual(await store.readAllMemoryFiles(), []);
    assert.ok(
      warnings.some((message) => /2026-03-01\.md: not valid UTF-8 text/.test(message)),
      warnings.join(),
    );

    const item = {
      id: "a",
      text: "new",
      hash: "h",
      createdAt: "2026-03-01T10:00:00Z",
      updatedAt: "2026-03-01T10:00:00Z",
    };
    await store.persistMemories([item]);
    assert.deepEqual(
      (await store.readAllMemoryFiles()).map((entry) => entry.text),
      ["new"],
    );
    const aside = (await readdir(memoryDir())).filter((name) => name.endsWith(".unparsed"));
    assert.equal(aside.length, 1);
    assert.deepEqual(await readFile(path.join(memoryDir(), aside[0]!)), LATIN1);
  });
});
