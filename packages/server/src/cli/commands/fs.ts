import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import type { BotFiles } from "@botbox/sdk";

import { type ApiTarget, CliError } from "../api-client.js";
import { usageError } from "../help.js";
import { countedStream, createProgress } from "../progress.js";
import { api, sdkFor } from "../sdk-client.js";
import { output, table } from "./output.js";

async function download(files: BotFiles, remote: string, local: string): Promise<void> {
  const { body, size } = await api("fs get", files.download(remote));
  if (local === "-") {
    await pipeline(Readable.fromWeb(body as never), process.stdout);
    return;
  }
  const progress = createProgress(`get ${path.basename(remote)}`, size);
  // Only a complete download takes the name.
  const partial = `${local}.part`;
  try {
    await pipeline(Readable.fromWeb(countedStream(body, progress) as never), createWriteStream(partial));
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  await rename(partial, local);
  progress.done();
}

async function upload(files: BotFiles, local: string, remote: string): Promise<{ size: number }> {
  const info = await stat(local).catch(() => undefined);
  if (!info?.isFile()) throw new CliError(`fs put: ${local} is not a readable file`);
  const progress = createProgress(`put ${path.basename(local)}`, info.size);
  const body = countedStream(Readable.toWeb(createReadStream(local)) as ReadableStream<Uint8Array>, progress);
  const uploaded = await api("fs put", files.upload(remote, body));
  progress.done();
  return uploaded;
}

/** `botbox fs ls|cat|put|get|rm|mv|mkdir`. */
export async function fsCommand(
  target: ApiTarget,
  args: string[],
  flags: { json: boolean; recursive: boolean },
): Promise<void> {
  const [action, botId, first, second] = args;
  if (!botId) throw usageError("fs");
  const files = sdkFor(target).bots.handle(botId).files;
  const need = (value: string | undefined): string => {
    if (!value) throw usageError("fs");
    return value;
  };
  switch (action) {
    case "ls": {
      const entries = await api("fs ls", files.list(first ?? "/data", { recursive: flags.recursive }));
      output(entries, flags.json, () =>
        table(entries.map((e) => [e.mode, String(e.size), e.modTime, `${e.path}${e.isDir ? "/" : ""}`])),
      );
      return;
    }
    case "cat":
      await download(files, need(first), "-");
      return;
    case "get": {
      const remote = need(first);
      await download(files, remote, second ?? path.basename(remote));
      return;
    }
    case "put": {
      const result = await upload(files, need(first), need(second));
      output(result, flags.json, () => `${second}: ${result.size} bytes`);
      return;
    }
    case "rm":
      await api("fs rm", files.remove(need(first), { recursive: flags.recursive }));
      return;
    case "mv":
      await api("fs mv", files.rename(need(first), need(second)));
      return;
    case "mkdir":
      await api("fs mkdir", files.mkdir(need(first)));
      return;
    default:
      throw usageError("fs");
  }
}
