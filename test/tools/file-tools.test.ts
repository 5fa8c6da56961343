import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { AgentClient } from "../../packages/server/src/client/index.js";
import { EDIT_MAX_BYTES } from "../../packages/server/src/tools/file-tools.js";
import { ContainerTools, ToolNotFoundError } from "../../packages/server/src/tools/index.js";
import { startToolHarness, textOf, type ToolHarness } from "./tool-harness.js";

// The original's provider tests, against a real agent instead of the fake,
// plus its bugs fixed (docs/reference.md#fix-tool-trim, #fix-fuzzy-edit) and
// stricter argument checks.
describe("container tools: read, write, list, edit", () => {
  let h: ToolHarness;
  const onDisk = (file: string) => readFile(path.join(h.agent.dataDir, file), "utf8");
  const put = (file: string, content: string | Buffer) => writeFile(path.join(h.agent.dataDir, file), content);

  before(async () => {
    h = await startToolHarness();
  });
  after(() => h.stop());

  it("lists the five original tools with their schemas, plus jobs", () => {
    const tools = h.tools.listTools();
    assert.deepEqual(
      tools.map((tool) => tool.name),
      ["read", "write", "list", "edit", "exec", "jobs"],
    );
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    type Property = {
      type?: string;
      minimum?: number;
      maximum?: number;
      default?: unknown;
      description?: string;
      enum?: string[];
    };
    const schema = (name: string) =>
      byName[name]!.inputSchema as { required?: string[]; properties: Record<string, Property> };
    for (const tool of tools) {
      assert.equal(tool.inputSchema.type, "object");
      assert.ok(tool.description && tool.description.length > 10);
    }
    assert.deepEqual(schema("read").required, ["path"]);
    assert.deepEqual(schema("read").properties.line_offset, {
      type: "integer",
      minimum: 1,
      default: 1,
      description: "First line to read, 1-based",
    });
    assert.equal(schema("read").properties.n_lines!.maximum, 200);
    assert.equal(schema("read").properties.n_lines!.default, 200);
    assert.match(byName.read!.description!, /Max 200 lines \/ 5120 bytes per call/);
    assert.deepEqual(schema("write").required, ["path", "content"]);
    assert.deepEqual(schema("list").required, ["path"]);
    assert.equal(schema("list").properties.recursive!.type, "boolean");
    assert.deepEqual(schema("edit").required, ["path", "old_text", "new_text"]);
    assert.equal(schema("edit").properties.old_text!.description, "Exact text to find");
    assert.equal(schema("edit").properties.new_text!.description, "Replacement text");
    assert.deepEqual(schema("exec").required, ["command"]);
    assert.equal(schema("exec").properties.work_dir!.default, h.agent.dataDir);
    assert.equal(schema("exec").properties.timeout!.maximum, 600);
    assert.deepEqual(schema("jobs").properties.action!.enum, ["list", "status", "wait", "kill"]);
  });

  it("reads a file with line numbers and its line count", async () => {
    await put("three.txt", "one\ntwo\nthree\n");
    const result = await h.ok("read", { path: "three.txt" });
    assert.deepEqual(result, { content: "     1\tone\n     2\ttwo\n     3\tthree\n", total_lines: 3 });
  });

  it("reads a page: line_offset and n_lines arrive as JSON numbers", async () => {
    await put("letters.txt", "a\nb\nc\nd\ne");
    const result = await h.ok("read", { path: `${h.agent.dataDir}/letters.txt`, line_offset: 3.0, n_lines: 2.0 });
    assert.deepEqual(result, { content: "     3\tc\n     4\td\n", total_lines: 5 });
  });

  it("clamps n_lines above 200", async () => {
    await put("many.txt", "x\n".repeat(300));
    const result = await h.ok<{ content: string; total_lines: number }>("read", { path: "many.txt", n_lines: 1000 });
    assert.equal(result.content.split("\n").length - 1, 200);
    assert.equal(result.total_lines, 300);
  });

  it("refuses bad read arguments", async () => {
    assert.equal(await h.fails("read", { path: "three.txt", line_offset: 0 }), "line_offset must be >= 1");
    assert.equal(await h.fails("read", { path: "three.txt", n_lines: 0 }), "n_lines must be >= 1");
    assert.equal(
      await h.fails("read", { path: "three.txt", line_offset: "2" }),
      "invalid line_offset: must be a number",
    );
    assert.equal(await h.fails("read", { path: "  " }), "path is required");
    assert.equal(await h.fails("read", {}), "path is required");
  });

  it("reports a binary file as a tool error", async () => {
    await put("blob.bin", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]));
    assert.equal(
      await h.fails("read", { path: "blob.bin" }),
      "file appears to be binary. Read tool only supports text files",
    );
  });

  it("reports a missing file as not found, not as a gRPC string", async () => {
    const text = await h.fails("read", { path: "missing.txt" });
    assert.match(text, /^not found: .*missing\.txt: no such file or directory$/);
    assert.doesNotMatch(text, /grpc|NOT_FOUND|\d+ [A-Z_]+:/);
  });

  it("writes a file under the data folder, relative or absolute, keeping trailing newlines", async () => {
    assert.deepEqual(await h.ok("write", { path: "out.txt", content: "hello world" }), { ok: true });
    assert.equal(await onDisk("out.txt"), "hello world");
    await h.ok("write", { path: `${h.agent.dataDir}/deep/er/note.md`, content: "  line\n\n" });
    assert.equal(await onDisk("deep/er/note.md"), "  line\n\n");
    await h.ok("write", { path: "empty.txt", content: "" });
    assert.equal(await onDisk("empty.txt"), "");
  });

  it("refuses a write without content or with non-string content, writing nothing", async () => {
    assert.match(await h.fails("write", { path: "nothing.txt" }), /^content is required/);
    assert.equal(await h.fails("write", { path: "nothing.txt", content: 42 }), "invalid content: must be a string");
    await assert.rejects(onDisk("nothing.txt"), { code: "ENOENT" });
  });

  it("lists a folder, and recursively", async () => {
    await h.ok("write", { path: "dir/a.txt", content: "a" });
    await h.ok("write", { path: "dir/sub/b.txt", content: "bb" });
    const flat = await h.ok<{ path: string; entries: Record<string, unknown>[] }>("list", { path: "dir" });
    assert.equal(flat.path, "dir");
    assert.deepEqual(
      flat.entries.map((entry) => [entry.path, entry.is_dir, entry.size]),
      [
        ["a.txt", false, 1],
        ["sub", true, flat.entries[1]!.size],
      ],
    );
    assert.match(String(flat.entries[0]!.mode), /^-rw/);
    assert.match(String(flat.entries[0]!.mod_time), /^\d{4}-\d\d-\d\dT/);
    const deep = await h.ok<{ entries: { path: string }[] }>("list", {
      path: `${h.agent.dataDir}/dir`,
      recursive: true,
    });
    assert.deepEqual(deep.entries.map((entry) => entry.path).sort(), ["a.txt", "sub", "sub/b.txt"]);
    const root = await h.ok<{ path: string }>("list", { path: h.agent.dataDir });
    assert.equal(root.path, ".");
    assert.equal(await h.fails("list", { path: "dir", recursive: "yes" }), "invalid recursive: must be a boolean");
    assert.match(await h.fails("list", { path: "no-such-dir" }), /not found/);
  });

  it("edits exact text and keeps the line ending", async () => {
    await put("greet.txt", "hello world\n");
    assert.deepEqual(await h.ok("edit", { path: "greet.txt", old_text: "hello world", new_text: "goodbye world" }), {
      ok: true,
    });
    assert.equal(await onDisk("greet.txt"), "goodbye world\n");
  });

  it("reports edit text that is not there and leaves the file alone", async () => {
    await put("stay.txt", "unchanged\n");
    assert.equal(
      await h.fails("edit", { path: "stay.txt", old_text: "absent", new_text: "x" }),
      "could not find the exact text in stay.txt. the old text must match exactly including all whitespace and newlines",
    );
    assert.equal(await onDisk("stay.txt"), "unchanged\n");
  });

  it("keeps CRLF endings and a byte-order mark through an edit", async () => {
    await put("win.txt", "\uFEFFfirst\r\nsecond\r\nthird\r\n");
    await h.ok("edit", { path: "win.txt", old_text: "first\nsecond", new_text: "1st\n2nd\n" });
    assert.equal(await onDisk("win.txt"), "\uFEFF1st\r\n2nd\r\n\r\nthird\r\n");
  });

  it("matches smart quotes fuzzily and leaves the rest of the file as it was", async () => {
    const file = "title: \u201cDraft\u201d   \nnote: it\u2019s fine\t\n\u2014 end  \n";
    await put("smart.md", file);
    await h.ok("edit", { path: "smart.md", old_text: 'title: "Draft"', new_text: 'title: "Final"' });
    assert.equal(await onDisk("smart.md"), 'title: "Final"   \nnote: it\u2019s fine\t\n\u2014 end  \n');
  });

  it("refuses ambiguous and no-op edits", async () => {
    await put("dup.txt", "x = 1\ny = 2\nx = 1\n");
    assert.equal(
      await h.fails("edit", { path: "dup.txt", old_text: "x = 1", new_text: "x = 3" }),
      "found 2 occurrences of the text in dup.txt. the text must be unique. please provide more context to make it unique",
    );
    assert.match(
      await h.fails("edit", { path: "dup.txt", old_text: "y = 2", new_text: "y = 2" }),
      /^no changes made to dup\.txt\. the replacement produced identical content\./,
    );
    assert.equal(await onDisk("dup.txt"), "x = 1\ny = 2\nx = 1\n");
  });

  it("keeps whitespace of old and new text: trailing newlines survive", async () => {
    await put("ws.txt", "a\n\nb\n");
    await h.ok("edit", { path: "ws.txt", old_text: "a\n\n", new_text: "a\n\n\n\n" });
    assert.equal(await onDisk("ws.txt"), "a\n\n\n\nb\n");
  });

  it("refuses incomplete edit arguments, binary files and invalid UTF-8, changing nothing", async () => {
    await put("keep.txt", "keep\n");
    const required = "path, old_text and new_text are required";
    assert.equal(await h.fails("edit", { path: "keep.txt", old_text: "keep" }), required);
    assert.equal(await h.fails("edit", { path: "keep.txt", old_text: "", new_text: "x" }), required);
    assert.equal(await h.fails("edit", { old_text: "keep", new_text: "x" }), required);
    assert.equal(
      await h.fails("edit", { path: "keep.txt", old_text: 1, new_text: "x" }),
      "invalid old_text: must be a string",
    );
    assert.equal(await onDisk("keep.txt"), "keep\n");
    await put("bin.dat", Buffer.from("ab\0cd"));
    assert.match(await h.fails("edit", { path: "bin.dat", old_text: "ab", new_text: "x" }), /binary/);
    await put("latin1.txt", Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    assert.equal(
      await h.fails("edit", { path: "latin1.txt", old_text: "caf", new_text: "x" }),
      "latin1.txt is not valid UTF-8 text. Edit tool only supports text files",
    );
    assert.deepEqual(
      await readFile(path.join(h.agent.dataDir, "latin1.txt")),
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
    );
  });

  it("reports editing a missing file as not found", async () => {
    assert.match(await h.fails("edit", { path: "gone.txt", old_text: "a", new_text: "b" }), /^not found: .*gone\.txt/);
  });

  it("refuses a call without a bot id, before asking for a client", async () => {
    let asked = 0;
    const tools = new ContainerTools({
      clients: async () => {
        asked++;
        return h.client;
      },
    });
    for (const botId of ["", "   "]) {
      const result = await tools.callTool(botId, "read", { path: "three.txt" });
      assert.equal(result.isError, true);
      assert.equal(textOf(result), "bot_id is required");
    }
    assert.equal(asked, 0);
  });

  it("throws ToolNotFoundError for a tool it does not have", async () => {
    for (const name of ["nosuch", "toString", "__proto__", ""]) {
      await assert.rejects(h.tools.callTool(h.agent.botId, name, {}), (error: unknown) => {
        assert.ok(error instanceof ToolNotFoundError);
        assert.equal(error.toolName, name);
        assert.equal(error.code, "not_found");
        return true;
      });
    }
  });

  it("reports a client that cannot be had, and an agent that does not answer, as not reachable", async () => {
    const broken = new ContainerTools({
      clients: async () => {
        throw new Error("no such bot");
      },
    });
    const result = await broken.callTool("bot", "read", { path: "x" });
    assert.equal(result.isError, true);
    assert.equal(textOf(result), "container not reachable: no such bot");

    const nowhere = new AgentClient({ address: `unix:${path.join(h.agent.dataDir, "no.sock")}` });
    try {
      const tools = new ContainerTools({ clients: async () => nowhere });
      const text = textOf(await tools.callTool("bot", "write", { path: "x", content: "y" }));
      assert.match(text, /^container not reachable: unavailable: /);
    } finally {
      nowhere.close();
    }
  });

  it("checks arguments before asking for a client", async () => {
    let asked = 0;
    const tools = new ContainerTools({
      clients: async () => {
        asked++;
        return h.client;
      },
    });
    const result = await tools.callTool("bot", "read", { path: "a", line_offset: -1 });
    assert.equal(textOf(result), "line_offset must be >= 1");
    assert.equal(asked, 0);
  });
  it("writes and edits a 5 MB file (more than one gRPC message holds)", async () => {
    const big = `${"0123456789".repeat(100_000)}\n`.repeat(5) + "needle\n";
    assert.ok(Buffer.byteLength(big) > 5_000_000);
    assert.deepEqual(await h.ok("write", { path: "big.txt", content: big }), { ok: true });
    assert.equal(await onDisk("big.txt"), big);
    assert.deepEqual(await h.ok("edit", { path: "big.txt", old_text: "needle", new_text: "found" }), { ok: true });
    assert.equal(await onDisk("big.txt"), big.replace("needle", "found"));
  });

  it("refuses to edit devices, FIFOs and directories quickly, with a clear error", async () => {
    const started = Date.now();
    assert.match(
      await h.fails("edit", { path: "/dev/zero", old_text: "a", new_text: "b" }),
      /^\/dev\/zero is not a regular file \(mode Dc/,
    );
    await h.sh(`mkfifo ${path.join(h.agent.dataDir, "pipe")}`);
    assert.match(
      await h.fails("edit", { path: "pipe", old_text: "a", new_text: "b" }),
      /is not a regular file \(mode p/,
    );
    await h.sh(`mkdir -p ${path.join(h.agent.dataDir, "folder")}`);
    assert.match(await h.fails("edit", { path: "folder", old_text: "a", new_text: "b" }), /is not a regular file/);
    // A symlink to a device passes a stat that does not follow links; the read cap stops it.
    await h.sh(`ln -sf /dev/zero ${path.join(h.agent.dataDir, "zero-link")}`);
    assert.match(
      await h.fails("edit", { path: "zero-link", old_text: "a", new_text: "b" }),
      /is (not a regular file|too large to edit)/,
    );
    assert.ok(Date.now() - started < 10_000, "refused quickly");
  });

  it("refuses to edit a file over the size limit", async () => {
    await h.sh(`truncate -s ${EDIT_MAX_BYTES + 1} ${path.join(h.agent.dataDir, "huge.txt")}`);
    assert.match(
      await h.fails("edit", { path: "huge.txt", old_text: "a", new_text: "b" }),
      new RegExp(`too large to edit \\(${EDIT_MAX_BYTES + 1} bytes; the limit is ${EDIT_MAX_BYTES} bytes\\)`),
    );
  });
});
