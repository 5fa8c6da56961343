// WriteRaw then ReadRaw of a 256 MiB file over a Unix socket vs a plain fs
// stream copy of the same file on the same disk. Each agent transfer moves the
// file once, as the copy does; the ratio compares their throughputs.
// Goal: >= 0.5.
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";

import { AgentClient } from "../packages/server/src/client/index.js";
import { type Figure, mbps, report, scratchDir, startAgentProcess, time } from "./support.js";

const SIZE = Number(process.env.BENCH_RAW_MIB ?? 256) * 2 ** 20;
const ROUNDS = 3;

export async function benchRawThroughput(): Promise<Figure> {
  const dir = await scratchDir("raw");
  const source = path.join(dir, "source.bin");
  const block = randomBytes(2 ** 20);
  await writeFile(source, Buffer.concat(Array.from({ length: SIZE / 2 ** 20 }, () => block)));
  const agent = await startAgentProcess({ dataDir: path.join(dir, "data"), token: "bench" });
  const client = new AgentClient({ address: agent.address, token: "bench" });
  try {
    let best = { copy: Infinity, upload: Infinity, download: Infinity };
    for (let round = 0; round < ROUNDS; round++) {
      const copy = await time(() => pipeline(createReadStream(source), createWriteStream(path.join(dir, "copy.bin"))));
      const upload = await time(() => client.writeRaw("upload.bin", createReadStream(source)));
      const download = await time(async () =>
        pipeline(await client.readRaw("upload.bin"), createWriteStream(path.join(dir, "download.bin"))),
      );
      if ((await stat(path.join(dir, "download.bin"))).size !== SIZE) throw new Error("download is incomplete");
      best = {
        copy: Math.min(best.copy, copy),
        upload: Math.min(best.upload, upload),
        download: Math.min(best.download, download),
      };
    }
    const seconds = (value: number) => value / 1000;
    const copyRate = SIZE / seconds(best.copy);
    const agentRate = (2 * SIZE) / seconds(best.upload + best.download);
    const ratio = agentRate / copyRate;
    return report({
      bench: `raw transfer ${SIZE / 2 ** 20} MiB`,
      figure: `upload ${mbps(SIZE, seconds(best.upload))}, download ${mbps(SIZE, seconds(best.download))}, fs copy ${mbps(SIZE, seconds(best.copy))} (best of ${ROUNDS})`,
      ratio,
      goal: ">= 0.5",
      met: ratio >= 0.5,
    });
  } finally {
    client.close();
    await agent.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRawThroughput();
