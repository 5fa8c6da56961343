// The official `e2b` npm package, unmodified, against a real `botbox serve`
// with [e2b] enabled (docs/e2b.md): configured only through E2B_API_KEY,
// E2B_API_URL and E2B_SANDBOX_URL, as a user's script would be.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { CommandExitError, NotFoundError, Sandbox, SandboxError } from "e2b";

import { e2bKeyFor } from "../../packages/server/src/e2b/index.js";
import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { envdJsonCall, envdRequest, envdToken, listedIds, useE2bEnvironment } from "./support.js";

describe("E2B SDK against botbox", { timeout: 180_000 }, () => {
  let server: BotboxServer;
  let sandbox: Sandbox;

  before(async () => {
    server = await startBotboxServer({ env: { BOTBOX_E2B_ENABLED: "true" } });
    useE2bEnvironment(server, e2bKeyFor(server.adminToken));
    sandbox = await Sandbox.create({ envs: { GREETING: "hello" }, metadata: { owner: "e2b-test" } });
  });

  after(async () => {
    await Sandbox.kill(sandbox.sandboxId).catch(() => undefined);
    await server?.stop();
  });

  it("creates a sandbox that is a running botbox bot, and lists it", async () => {
    assert.match(sandbox.sandboxId, /^e2b-[0-9a-f]{16}$/);
    const container = await server.api("GET", `/bots/${sandbox.sandboxId}/container`);
    assert.equal(container.status, 200, JSON.stringify(container.body));
    assert.ok((await listedIds()).includes(sandbox.sandboxId));
    const info = await Sandbox.getInfo(sandbox.sandboxId);
    assert.equal(info.state, "running");
    assert.equal(info.templateId, "base");
    assert.deepEqual(info.metadata, { owner: "e2b-test" });
    // The create call's envs are every command's environment, as in E2B.
    assert.equal((await sandbox.commands.run('echo "$GREETING"')).stdout, "hello\n");
  });

  it("runs a command with streamed stdout and its exit code", async () => {
    const chunks: string[] = [];
    const result = await sandbox.commands.run("echo hi; echo oops >&2", { onStdout: (data) => void chunks.push(data) });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, "hi\n");
    assert.equal(result.stderr, "oops\n");
    assert.equal(chunks.join(""), "hi\n");
  });

  it("answers a failing command with CommandExitError", async () => {
    await assert.rejects(sandbox.commands.run("echo bad >&2; exit 3"), (error: unknown) => {
      assert.ok(error instanceof CommandExitError, String(error));
      assert.equal(error.exitCode, 3);
      assert.equal(error.stderr, "bad\n");
      return true;
    });
  });

  it("writes, reads and lists files", async () => {
    await sandbox.files.write("/data/notes/hello.txt", "hello from e2b\n");
    assert.equal(await sandbox.files.read("/data/notes/hello.txt"), "hello from e2b\n");
    // The same bytes through botbox's own API: the SDK wrote into the bot.
    const botboxRead = await server.api(
      "GET",
      `/bots/${sandbox.sandboxId}/container/fs/read?path=/data/notes/hello.txt`,
    );
    assert.equal(botboxRead.body.content, "hello from e2b\n");
    await sandbox.files.write("notes/bytes.bin", new Uint8Array([0, 1, 2, 255]).buffer);
    assert.deepEqual([...(await sandbox.files.read("/data/notes/bytes.bin", { format: "bytes" }))], [0, 1, 2, 255]);
    const names = (await sandbox.files.list("/data/notes")).map((entry) => `${entry.name}:${entry.type}`).sort();
    assert.deepEqual(names, ["bytes.bin:file", "hello.txt:file"]);
    assert.equal(await sandbox.files.exists("/data/notes/missing"), false);
    assert.equal(await sandbox.files.makeDir("/data/notes/sub"), true);
    assert.equal(await sandbox.files.makeDir("/data/notes/sub"), false);
    await sandbox.files.rename("/data/notes/hello.txt", "/data/notes/sub/moved.txt");
    assert.equal((await sandbox.files.getInfo("/data/notes/sub/moved.txt")).size, 15);
    await sandbox.files.remove("/data/notes/sub");
    assert.equal(await sandbox.files.exists("/data/notes/sub"), false);
    await assert.rejects(sandbox.files.read("/data/notes/none.txt"), NotFoundError);
  });

  it("watches a folder: the SDK's events for a file made, written and removed in the bot", async () => {
    await sandbox.files.makeDir("/data/watched");
    const seen: string[] = [];
    const waiters = new Map<string, () => void>();
    const eventSeen = (event: string) =>
      new Promise<void>((resolve, reject) => {
        if (seen.includes(event)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no ${event} in 15 s; saw ${seen.join(", ")}`)), 15_000);
        waiters.set(event, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    const watch = await sandbox.files.watchDir("/data/watched", (event) => {
      seen.push(`${event.type}:${event.name}`);
      waiters.get(`${event.type}:${event.name}`)?.();
    });
    // One change at a time, each once the one before was reported: a file made and removed at once
    // can be gone before the agent's watch looks at it, and then nothing is reported (seen here).
    await sandbox.commands.run("echo a > /data/watched/a.txt");
    await eventSeen("create:a.txt");
    await sandbox.commands.run("echo b >> /data/watched/a.txt");
    await eventSeen("write:a.txt");
    await sandbox.commands.run("rm /data/watched/a.txt");
    await eventSeen("remove:a.txt");
    await watch.stop();
  });

  it("serves envd's polling watchers: events between polls, then removed", async () => {
    const call = async (method: string, body: unknown) => {
      const response = await envdJsonCall(
        server,
        sandbox.sandboxId,
        envdToken(sandbox),
        `filesystem.Filesystem/${method}`,
        body,
      );
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    await sandbox.files.makeDir("/data/polled");
    const created = await call("CreateWatcher", { path: "/data/polled" });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const watcherId = created.body.watcherId as string;
    await sandbox.commands.run("echo x > /data/polled/x.txt");
    const deadline = Date.now() + 15_000;
    const names: string[] = [];
    // Polling is this API's design: the test polls as E2B's Python SDK does, within a deadline.
    while (!names.includes("x.txt") && Date.now() < deadline) {
      const polled = await call("GetWatcherEvents", { watcherId });
      assert.equal(polled.status, 200, JSON.stringify(polled.body));
      for (const event of (polled.body.events ?? []) as Array<{ name: string }>) names.push(event.name);
      if (!names.includes("x.txt")) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(names.includes("x.txt"), names.join());
    assert.equal((await call("RemoveWatcher", { watcherId })).status, 200);
    assert.equal((await call("GetWatcherEvents", { watcherId })).status, 404);
  });

  it("runs a background command and reconnects to it", async () => {
    const handle = await sandbox.commands.run("read line; echo got $line; sleep 30", {
      background: true,
      stdin: true,
    });
    const listed = await sandbox.commands.list();
    assert.ok(listed.some((process) => process.pid === handle.pid));
    await handle.disconnect();
    let output = "";
    let answered: () => void = () => undefined;
    const answer = new Promise<void>((resolve) => (answered = resolve));
    const again = await sandbox.commands.connect(handle.pid, {
      onStdout: (data) => {
        output += data;
        if (output.includes("\n")) answered();
      },
    });
    await sandbox.commands.sendStdin(handle.pid, "ping\n");
    await answer;
    assert.equal(output, "got ping\n");
    assert.equal(await sandbox.commands.kill(handle.pid), true);
    await assert.rejects(again.wait(), CommandExitError);
    assert.equal(await sandbox.commands.kill(handle.pid), false);
  });

  it("opens a PTY, types into it, resizes it and kills it", async () => {
    let screen = "";
    let sawMarker: () => void = () => undefined;
    const marker = new Promise<void>((resolve) => (sawMarker = resolve));
    const decoder = new TextDecoder();
    const terminal = await sandbox.pty.create({
      cols: 80,
      rows: 24,
      onData: (data) => {
        screen += decoder.decode(data, { stream: true });
        if (screen.includes("size=30x100")) sawMarker();
      },
    });
    await sandbox.pty.resize(terminal.pid, { cols: 100, rows: 30 });
    await sandbox.pty.sendInput(terminal.pid, new TextEncoder().encode('echo "size=$(stty size | tr " " x)"\n'));
    await marker;
    assert.equal(await sandbox.pty.kill(terminal.pid), true);
    await assert.rejects(terminal.wait(), CommandExitError);
  });

  it("sends keep-alive events on a quiet command stream, at the interval the client asks for", async () => {
    // A raw connect-rpc server stream (envelopes of a flag byte, a length and JSON), as the SDK's transport sends it.
    const message = Buffer.from(JSON.stringify({ process: { cmd: "/bin/sh", args: ["-c", "sleep 2.5; echo done"] } }));
    const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), message]);
    envelope.writeUInt32BE(message.length, 1);
    const response = await envdRequest(server, sandbox.sandboxId, envdToken(sandbox), "process.Process/Start", {
      method: "POST",
      headers: { "content-type": "application/connect+json", "Keepalive-Ping-Interval": "1" },
      body: envelope,
    });
    assert.equal(response.status, 200);
    const body = Buffer.from(await response.arrayBuffer());
    const events: string[] = [];
    for (let at = 0; at < body.length; at += 5 + body.readUInt32BE(at + 1)) {
      if (body[at] !== 0) continue; // the end-of-stream envelope
      const parsed = JSON.parse(body.subarray(at + 5, at + 5 + body.readUInt32BE(at + 1)).toString()) as {
        event: Record<string, unknown>;
      };
      events.push(Object.keys(parsed.event)[0]!);
    }
    assert.equal(events[0], "start");
    assert.ok(events.indexOf("keepalive") > 0 && events.indexOf("keepalive") < events.indexOf("data"), events.join());
    assert.equal(events.at(-1), "end");
  });

  it("refuses envd calls without the sandbox's access token", async () => {
    const response = await envdJsonCall(server, sandbox.sandboxId, "0".repeat(64), "process.Process/List");
    assert.equal(response.status, 401);
    // The same call with the sandbox's own token goes through: the check is what refused it.
    const info = await server.api("GET", `/bots/${sandbox.sandboxId}`);
    assert.equal(info.status, 200);
    const ok = await envdJsonCall(server, sandbox.sandboxId, envdToken(sandbox), "process.Process/List");
    assert.equal(ok.status, 200, await ok.text());
  });

  it("refuses a wrong API key with E2B's error shape", async () => {
    const response = await fetch(`${server.url}/e2b/v2/sandboxes`, {
      headers: { "X-API-KEY": e2bKeyFor("bbx_wrong") },
    });
    assert.equal(response.status, 401);
    const body = (await response.json()) as { code: number; message: string };
    assert.equal(body.code, 401);
    assert.equal(typeof body.message, "string");
  });

  it("answers an unknown template with E2B's error", async () => {
    await assert.rejects(Sandbox.create("no-such-template"), (error: unknown) => {
      assert.ok(error instanceof SandboxError, String(error));
      assert.match(String(error), /404: template "no-such-template" not found/);
      return true;
    });
  });

  it("kills the sandbox: its bot is gone and it is no longer listed", async () => {
    const other = await Sandbox.create();
    assert.equal(await Sandbox.kill(other.sandboxId), true);
    assert.equal((await server.api("GET", `/bots/${other.sandboxId}`)).status, 404);
    assert.ok(!(await listedIds()).includes(other.sandboxId));
    assert.equal(await Sandbox.kill(other.sandboxId), false);
    await assert.rejects(Sandbox.getInfo(other.sandboxId), NotFoundError);
  });
});
