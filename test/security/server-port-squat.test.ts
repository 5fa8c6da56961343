// A process that holds the API's port (a bot with the host's network, bound
// while the server restarted) must neither keep a new server quietly down
// nor receive the admin token of the next client.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { runtimeEnv, startBotboxServer, suiteHomes } from "../support/botbox-server.js";

const BOTBOX = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));
const run = promisify(execFile);

/** An impostor on 127.0.0.1: answers every request 200 with JSON, as a relay or fake API would, and keeps what it was sent. */
async function startSquatter(): Promise<{ port: number; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      seen.push(`${request.method} ${request.url} ${JSON.stringify(request.headers)} ${body}`);
      response.setHeader("content-type", "application/json");
      // A guess at a proof: the squatter does not know the token.
      response.end(JSON.stringify({ service: "botbox", proof: "0".repeat(64) }));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as { port: number }).port, seen, server };
}

describe("a process squatting the API port", () => {
  const squatters: Server[] = [];
  after(() => {
    for (const squatter of squatters) squatter.close();
  });
  const newHome = suiteHomes();

  it("makes botbox serve fail at once, naming the port and that another process holds it", async () => {
    const squatter = await startSquatter();
    squatters.push(squatter.server);
    const home = await newHome();
    const child = spawn(process.execPath, [BOTBOX, "serve"], {
      env: { ...process.env, ...runtimeEnv(), BOTBOX_HOME: home, BOTBOX_PORT: String(squatter.port), DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const [code] = (await once(child, "close")) as [number | null];
    clearTimeout(timer);
    assert.equal(code, 1, `exit ${code}; stderr: ${stderr}`);
    assert.match(
      stderr,
      new RegExp(`127\\.0\\.0\\.1:${squatter.port}: another process holds the port \\(pid ${process.pid} `),
    );
  });

  it("gets no admin token from the CLI, while the real server does", async () => {
    const home = await newHome();
    const real = await startBotboxServer({ home });
    const port = new URL(real.url).port;
    const cli = (extraEnv: NodeJS.ProcessEnv) =>
      run(process.execPath, [BOTBOX, "bot", "list", "--json", "--home", home], {
        env: { ...process.env, BOTBOX_URL: "", BOTBOX_TOKEN: "", BOTBOX_ADMIN_TOKEN: "", ...extraEnv },
      });
    // The CLI's default target: http://127.0.0.1:<BOTBOX_PORT> and the token in <home>/admin-token.
    assert.deepEqual(JSON.parse((await cli({ BOTBOX_PORT: port })).stdout), []);
    await real.stop();

    const squatter = await startSquatter();
    squatters.push(squatter.server);
    await assert.rejects(cli({ BOTBOX_PORT: String(squatter.port) }), (error: { stderr?: string; code?: number }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? "", /could not prove it holds the admin token, so the token was not sent/);
      return true;
    });
    assert.ok(squatter.seen.length > 0, "the CLI never asked the squatter anything: the check proves nothing");
    for (const request of squatter.seen) assert.ok(!request.includes(real.adminToken), `token sent: ${request}`);
    assert.ok(
      squatter.seen.every((request) => request.startsWith("GET /identity?challenge=")),
      squatter.seen.join("\n"),
    );
  });

  it("gets the token when the client skips the proof, as the CLI did before (the check is what stops it)", async () => {
    const squatter = await startSquatter();
    squatters.push(squatter.server);
    // A bot-scoped token (not the admin's) is not checked: the server does not hold it in plain.
    await run(
      process.execPath,
      [BOTBOX, "bot", "list", "--url", `http://127.0.0.1:${squatter.port}`, "--token", "bbx_bot_token_for_the_control"],
      {
        env: { ...process.env, BOTBOX_URL: "", BOTBOX_TOKEN: "", BOTBOX_ADMIN_TOKEN: "" },
      },
    ).catch(() => undefined);
    assert.ok(
      squatter.seen.some((request) => request.includes("Bearer bbx_bot_token_for_the_control")),
      "an unchecked client sends its token to whoever holds the port",
    );
  });
});
