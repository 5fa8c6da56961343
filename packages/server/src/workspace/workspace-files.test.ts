// The file manager's service against a real agent process, without HTTP or
// a sandbox: the agent runs on the host, so every path here is inside its
// temporary data folder (absolute paths reach the host's file system).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import type { AgentProcess } from "../../../../test/support/agent-process.js";
import { stopAgentWithClient } from "../../../../test/support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../../../../test/support/shared-agent.js";
import type { AgentClient } from "../client/index.js";
import { BadRequestError, ForbiddenError, NotFoundError, WorkspaceUnreachableError } from "../errors.js";
import { FileTooLargeError, NotRegularFileError, NotTextFileError } from "./file-errors.js";
import { WorkspaceFiles } from "./workspace-files.js";

const BOT = "files-bot";

describe("WorkspaceFiles on a real agent", () => {
  let agent: AgentProcess;
  let client: AgentClient;
  let files: WorkspaceFiles;
  let root: string;

  before(async () => {
    ({ agent, client } = await sharedAgentWithClient({ token: SHARED_AGENT_TOKEN }));
    files = new WorkspaceFiles({
      agentFor: async (botId) => {
        if (botId !== BOT) throw new NotFoundError(`no bot ${botId}`);
        return client;
      },
      workspaceRunning: async () => true,
      maxUploadBytes: 64,
      maxReadBytes: 32,
    });
    root = path.join(agent.dataDir, "fm");
    await mkdir(path.join(root, "sub", "deep"), { recursive: true });
    for (const name of ["a.txt", "b.md", "sub/c.txt", "sub/deep/d.txt"]) await writeFile(path.join(root, name), name);
  });
  after(() => stopAgentWithClient({ agent, client }));

  it("lists a tree a page at a time, and searches it by glob, resuming from cursors", async () => {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await files.list(BOT, { path: root, recursive: true, limit: 2, cursor });
      names.push(...page.entries.map((entry) => path.relative(root, entry.path)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(names, ["a.txt", "b.md", "sub", "sub/c.txt", "sub/deep", "sub/deep/d.txt"]);
    const found = await files.search(BOT, { path: root, pattern: "*.txt", limit: 10 });
    assert.deepEqual(
      found.entries.map((entry) => entry.name),
      ["a.txt", "c.txt", "d.txt"],
    );
    const other = await files.list(BOT, { path: root, recursive: false, limit: 1 });
    await assert.rejects(
      files.search(BOT, { path: root, pattern: "*", limit: 1, cursor: other.nextCursor! }),
      /belongs to another listing/,
    );
  });

  it("reads text within files.max_read_bytes, with the refusals pointing at the download", async () => {
    assert.deepEqual(await files.readText(BOT, path.join(root, "a.txt")), {
      path: path.join(root, "a.txt"),
      content: "a.txt",
      size: 5,
    });
    await writeFile(path.join(root, "big.txt"), "x".repeat(33));
    await writeFile(path.join(root, "nul.bin"), "a\0b");
    await promisify(execFile)("mkfifo", [path.join(root, "pipe")]);
    const big = await files.readText(BOT, path.join(root, "big.txt")).catch((error: unknown) => error);
    assert.ok(big instanceof FileTooLargeError);
    assert.match(big.message, /33 bytes, larger than 32 bytes: use \/fs\/download/);
    const nul = await files.readText(BOT, path.join(root, "nul.bin")).catch((error: unknown) => error);
    assert.ok(nul instanceof NotTextFileError);
    assert.match(nul.message, /use \/fs\/download/);
    const folder = await files.readText(BOT, root).catch((error: unknown) => error);
    assert.ok(folder instanceof NotRegularFileError);
    assert.match(folder.message, /is a directory: list it with \/fs\/list/);
    await assert.rejects(files.readText(BOT, path.join(root, "pipe")), NotRegularFileError);
    await assert.rejects(files.openDownload(BOT, path.join(root, "pipe")), NotRegularFileError);
    await assert.rejects(files.readText(BOT, path.join(root, "gone")), /no such file or directory: .*gone/);
  });

  it("uploads within files.max_upload_bytes, keeping the old file when the limit cuts an upload", async () => {
    const target = path.join(root, "up.txt");
    assert.deepEqual(await (await files.prepareUpload(BOT, target)).write([Buffer.from("first")]), {
      path: target,
      size: 5,
    });
    const upload = await files.prepareUpload(BOT, target);
    await assert.rejects(upload.write([Buffer.alloc(40), Buffer.alloc(40)]), /larger than the limit of 64 bytes/);
    assert.equal(await readFile(target, "utf8"), "first");
    await assert.rejects(files.prepareUpload(BOT, root), BadRequestError);
  });

  it("refuses the folders the workspace needs and moves into itself, before asking the agent", async () => {
    await assert.rejects(files.delete(BOT, "/data", true), ForbiddenError);
    await assert.rejects(files.rename(BOT, "/usr", path.join(root, "usr")), ForbiddenError);
    await assert.rejects(files.rename(BOT, path.join(root, "sub"), path.join(root, "sub", "x")), /into itself/);
    // The same kind of move elsewhere goes through.
    await files.rename(BOT, path.join(root, "b.md"), path.join(root, "sub", "b.md"));
    assert.equal(await readFile(path.join(root, "sub", "b.md"), "utf8"), "b.md");
  });

  it("answers 503 for a bot whose workspace cannot be reached", async () => {
    await assert.rejects(files.describe("other-bot", "/"), WorkspaceUnreachableError);
  });
});
