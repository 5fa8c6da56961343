// Upload then download of a 1 GiB file through the file manager's HTTP API
// (raw PUT /fs/upload, streamed GET /fs/download) of a real `botbox serve`
// with a real sandbox, vs `cp` of the same file on the same disk. The HTTP
// transfers move the file once each, as the copy does; the ratio compares
// their throughputs. Goal: >= 0.4, and the server's RSS grows by < 64 MB
// while the file goes through it (sampled every 50 ms from /proc).
// Also printed, to tell where the time goes: `cp` followed by an fsync of
// the copy (an upload fsyncs before its atomic rename), and the same two
// transfers straight through AgentClient from this process, without HTTP.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { request } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";

import { AgentClient } from "../packages/server/src/client/index.js";
import { type BotboxServer, startBotboxServer } from "../test/support/botbox-server.js";
import { type Figure, homeScratchDir, mb, mbps, processMemory, removeSandboxes, report, time } from "./support.js";

const run = promisify(execFile);
const SIZE = Number(process.env.BENCH_TRANSFER_MIB ?? 1024) * 2 ** 20;
const ROUNDS = Number(process.env.BENCH_TRANSFER_ROUNDS ?? 2);
const RSS_GROWTH_GOAL_MB = 64;
const BOT = "transfer";

export async function benchHttpTransfer(): Promise<Figure> {
  const scratch = await homeScratchDir("http-transfer");
  const source = path.join(scratch, "source.bin");
  const home = path.join(scratch, "home");
  let server: BotboxServer | undefined;
  try {
    await writeSource(source);
    server = await startBotboxServer({ home });
    const api = server.api;
    if ((await api("POST", "/bots", { id: BOT, name: BOT })).status !== 201) throw new Error("bot not created");
    if ((await api("POST", `/bots/${BOT}/container`)).status !== 201) throw new Error("container not started");
    const url = (route: string) => new URL(`${server!.url}/bots/${BOT}/container/fs${route}`);
    const auth = { authorization: `Bearer ${server.adminToken}` };

    const agent = await directClient(home);
    const copyPath = path.join(scratch, "copy.bin");
    const downloaded = path.join(scratch, "download.bin");
    let best = { copy: Infinity, copySynced: Infinity, upload: Infinity, download: Infinity, direct: Infinity };
    let rssGrowth = 0;
    let rssBase = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const copy = await time(() => run("cp", [source, copyPath]));
        await rm(copyPath);
        const copySynced = await time(() => run("sh", ["-c", 'cp "$0" "$1" && sync "$1"', source, copyPath]));
        await rm(copyPath);
        const direct = await time(async () => {
          await agent.writeRaw("/data/direct.bin", createReadStream(source, { highWaterMark: 2 ** 20 }));
          await pipeline(await agent.readRaw("/data/direct.bin"), createWriteStream(downloaded));
        });
        await rm(downloaded);
        await agent.deleteFile("/data/direct.bin");
        const sampler = sampleRss(server.child.pid!);
        const upload = await time(() => putFile(url("/upload?path=/data/big.bin"), auth, source));
        const download = await time(() => getFile(url("/download?path=/data/big.bin"), auth, downloaded));
        const rss = await sampler.stop();
        if ((await stat(downloaded)).size !== SIZE) throw new Error("download is incomplete");
        if (round === 0 && (await sha256(downloaded)) !== (await sha256(source))) throw new Error("download differs");
        await rm(downloaded);
        rssBase = rss.base;
        rssGrowth = Math.max(rssGrowth, rss.peak - rss.base);
        best = {
          copy: Math.min(best.copy, copy),
          copySynced: Math.min(best.copySynced, copySynced),
          upload: Math.min(best.upload, upload),
          download: Math.min(best.download, download),
          direct: Math.min(best.direct, direct),
        };
      }
    } finally {
      agent.close();
    }
    const seconds = (value: number) => value / 1000;
    const copyRate = SIZE / seconds(best.copy);
    const httpRate = (2 * SIZE) / seconds(best.upload + best.download);
    const ratio = httpRate / copyRate;
    const rssMet = rssGrowth < RSS_GROWTH_GOAL_MB;
    const rate = (bytes: number, milliseconds: number) => mbps(bytes, seconds(milliseconds));
    return report({
      bench: `HTTP transfer ${SIZE / 2 ** 20} MiB`,
      figure:
        `upload ${rate(SIZE, best.upload)}, download ${rate(SIZE, best.download)} ` +
        `(both ${rate(2 * SIZE, best.upload + best.download)}); cp ${rate(SIZE, best.copy)}; ` +
        `for reference cp+fsync ${rate(SIZE, best.copySynced)}, AgentClient without HTTP ` +
        `${rate(2 * SIZE, best.direct)} (best of ${ROUNDS}); server RSS ${mb(rssBase)}, ` +
        `+${mb(rssGrowth)} at most during a transfer (goal < ${RSS_GROWTH_GOAL_MB} MB: ${rssMet ? "met" : "NOT met"})`,
      ratio,
      goal: `>= 0.4 and RSS growth < ${RSS_GROWTH_GOAL_MB} MB`,
      met: ratio >= 0.4 && rssMet,
    });
  } finally {
    await server?.api("DELETE", `/bots/${BOT}`).catch(() => undefined);
    await server?.stop();
    // Whatever a failure left running in the home goes with it.
    await removeSandboxes(home);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A client on the bot's agent socket, as the server has one (test/http/mcp.test.ts does the same). */
async function directClient(home: string): Promise<AgentClient> {
  const botDir = path.join(home, "bots", BOT);
  const record = JSON.parse(await readFile(path.join(botDir, "container.json"), "utf8")) as {
    spec: { agentToken: string };
  };
  return new AgentClient({ address: `unix:${path.join(botDir, "run", "agent.sock")}`, token: record.spec.agentToken });
}

/** SIZE bytes of incompressible data, a random MiB repeated. */
async function writeSource(file: string): Promise<void> {
  const block = randomBytes(2 ** 20);
  await writeFile(file, Buffer.alloc(0));
  const out = createWriteStream(file);
  await pipeline(async function* () {
    for (let i = 0; i < SIZE / 2 ** 20; i++) yield block;
  }, out);
}

function putFile(target: URL, headers: Record<string, string>, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/octet-stream", "content-length": String(SIZE) },
    });
    req.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (text: string) => (body += text));
      response.on("end", () =>
        response.statusCode === 200 ? resolve() : reject(new Error(`upload: ${response.statusCode} ${body}`)),
      );
    });
    req.on("error", reject);
    pipeline(createReadStream(file, { highWaterMark: 2 ** 20 }), req).catch(reject);
  });
}

function getFile(target: URL, headers: Record<string, string>, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    request(target, { headers }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`download: ${response.statusCode}`));
      pipeline(response, createWriteStream(file)).then(resolve, reject);
    })
      .on("error", reject)
      .end();
  });
}

/** The server's VmRSS every 50 ms until stop(): its value at the start and its peak, in MB. */
function sampleRss(pid: number): { stop(): Promise<{ base: number; peak: number }> } {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push((await processMemory(pid)).rss);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { base: samples[0]!, peak: Math.max(...samples) };
    },
  };
}

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

if (import.meta.url === `file://${process.argv[1]}`) await benchHttpTransfer();
