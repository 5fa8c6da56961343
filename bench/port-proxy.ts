// A 256 MiB download through a bot's port URL (the bot's own HTTP server,
// through the agent's Tunnel, docs/ports.md) vs the same file through the
// file manager's GET /fs/download, of a real `botbox serve` with a real
// sandbox. Goal: the port URL at >= 0.8x the download's throughput. The
// port URL is the port's own origin (`3000-ports.localhost`, what
// `botbox port` prints); the path form is measured beside it.
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { APP_SOURCE, startAppCommand } from "../test/ports/app-in-bot.js";
import { loopbackLookup } from "../test/ports/origin-client.js";
import { type BotboxServer, startBotboxServer } from "../test/support/botbox-server.js";
import { botAgent, shellIn } from "../test/support/bots.js";
import { type Figure, homeScratchDir, mbps, removeSandboxes, report, time } from "./support.js";

const SIZE = Number(process.env.BENCH_PORT_MIB ?? 256) * 2 ** 20;
const ROUNDS = Number(process.env.BENCH_PORT_ROUNDS ?? 3);
const BOT = "ports";
const PORT = 3000;

export async function benchPortProxy(): Promise<Figure> {
  const scratch = await homeScratchDir("port-proxy");
  const home = path.join(scratch, "home");
  let server: BotboxServer | undefined;
  try {
    server = await startBotboxServer({ home });
    if ((await server.api("POST", "/bots", { id: BOT, name: BOT })).status !== 201) throw new Error("bot not created");
    if ((await server.api("POST", `/bots/${BOT}/container`)).status !== 201) throw new Error("bot not started");
    const agent = await botAgent(server, BOT);
    try {
      await agent.writeFile("app.js", APP_SOURCE);
      const block = randomBytes(2 ** 20);
      await agent.writeRaw(
        "big.bin",
        (async function* () {
          for (let i = 0; i < SIZE / 2 ** 20; i++) yield block;
        })(),
      );
    } finally {
      agent.close();
    }
    await shellIn(server, BOT)(startAppCommand(PORT));
    const auth = { authorization: `Bearer ${server.adminToken}` };
    const fsUrl = `${server.url}/bots/${BOT}/container/fs/download?path=/data/big.bin`;
    const portUrl = `http://${PORT}-${BOT}.localhost:${new URL(server.url).port}/file?name=big.bin`;
    const pathUrl = `${server.url}/bots/${BOT}/ports/${PORT}/file?name=big.bin`;
    let best = { fs: Infinity, port: Infinity, path: Infinity };
    for (let round = 0; round < ROUNDS; round++) {
      best = {
        fs: Math.min(best.fs, await time(() => download(fsUrl, auth))),
        path: Math.min(best.path, await time(() => download(pathUrl, auth))),
        port: Math.min(best.port, await time(() => download(portUrl, auth))),
      };
    }
    const ratio = best.fs / best.port;
    return report({
      bench: `port URL download ${SIZE / 2 ** 20} MiB`,
      figure:
        `port URL ${mbps(SIZE, best.port / 1000)} (path form ${mbps(SIZE, best.path / 1000)}), ` +
        `/fs/download ${mbps(SIZE, best.fs / 1000)} (best of ${ROUNDS})`,
      ratio,
      goal: ">= 0.8",
      met: ratio >= 0.8,
    });
  } finally {
    await server?.api("DELETE", `/bots/${BOT}`).catch(() => undefined);
    await server?.stop();
    await removeSandboxes(home);
    const { rm } = await import("node:fs/promises");
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Reads the whole answer, counting its bytes, keeping none. */
function download(url: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    // Any host name is this machine: the port's origin without the system resolver.
    request(url, { headers, lookup: loopbackLookup }, (response) => {
      let bytes = 0;
      const count = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          callback();
        },
      });
      pipeline(response, count).then(() => {
        if (response.statusCode !== 200 || bytes !== SIZE)
          reject(new Error(`${url}: ${response.statusCode}, ${bytes} of ${SIZE} bytes`));
        else resolve();
      }, reject);
    })
      .on("error", reject)
      .end();
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPortProxy();
