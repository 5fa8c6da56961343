// The LLM tools' jobs through a real `botbox serve` on the backend
// BOTBOX_TEST_RUNTIME picks (sandbox by default): a job started by the exec
// tool is one of the bot's supervised processes (the process routes and
// `botbox ps` see it), and it outlives a restart of the host server with its
// output complete.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, removeServer } from "../support/bots.js";

const BOT = "jobs-e2e";

describe("exec tool jobs on the bot's process supervisor, through botbox serve", { timeout: 300_000 }, () => {
  let server: BotboxServer | undefined;
  const clients: Client[] = [];

  async function call<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T> {
    const client = new Client({ name: "jobs-e2e", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server!.url}/bots/${BOT}/tools`), {
        requestInit: { headers: { authorization: `Bearer ${server!.adminToken}` } },
      }),
    );
    clients.push(client);
    const result = await client.callTool({ name, arguments: args });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    return result.structuredContent as T;
  }

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [BOT]);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await removeServer(server, [BOT]);
  });

  it("lists a background job among the bot's processes and keeps it through a host restart", async () => {
    // Under the tool's pruning (250 lines), so the answer shows every line.
    const lines = 200;
    const started = await call<{ job_id: string; pid: number }>("exec", {
      // Half the lines, then (bounded) until the test releases it after the restart, then the rest.
      command: [
        `i=0; while [ $i -lt ${lines / 2} ]; do i=$((i+1)); echo line $i; done`,
        `n=0; until [ -e .release-e2e ] || [ $n -ge 1200 ]; do sleep 0.05; n=$((n+1)); done`,
        `while [ $i -lt ${lines} ]; do i=$((i+1)); echo line $i; done; exit 4`,
      ].join("\n"),
      background: true,
    });
    const listed = await server!.api("GET", `/bots/${BOT}/processes?tag=${started.job_id}`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.processes.length, 1);
    assert.equal(listed.body.processes[0].pid, started.pid);

    const home = server!.home;
    await server!.stop();
    server = await startBotboxServer({ home });
    const during = await call<{ status: string; output: string }>("jobs", { action: "status", id: started.job_id });
    assert.equal(during.status, "running", "the job spans the restart");
    assert.match(during.output, /^line 1\n/);
    await call("write", { path: ".release-e2e", content: "" });
    const done = await call<{ status: string; exit_code: number; output: string }>("jobs", {
      action: "wait",
      id: started.job_id,
      timeout: 120,
      tail_lines: 1000,
    });
    assert.equal(done.status, "exited");
    assert.equal(done.exit_code, 4);
    assert.equal(done.output, Array.from({ length: lines }, (_, i) => `line ${i + 1}\n`).join(""));
  });

  it("hands a command that outlives its timeout to the supervisor", async () => {
    const moved = await call<{ moved_to_background: boolean; job_id: string }>("exec", {
      command: "echo begun; sleep 2; echo ended; exit 6",
      timeout: 1,
    });
    assert.equal(moved.moved_to_background, true);
    const process = await server!.api("GET", `/bots/${BOT}/processes/${moved.job_id}`);
    assert.equal(process.status, 200, JSON.stringify(process.body));
    const waited = await server!.api("POST", `/bots/${BOT}/processes/${moved.job_id}/wait?timeout=60`);
    assert.equal(waited.body.exit_code, 6);
    const done = await call<{ exit_code: number; stdout: string }>("jobs", { action: "status", id: moved.job_id });
    assert.equal(done.exit_code, 6);
    assert.equal(done.stdout, "begun\nended\n");
  });
});
