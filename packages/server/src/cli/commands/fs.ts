import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import type { EntryView } from "../../workspace/index.js";
import { type ApiTarget, botRoute, callApi, CliError, requestApi } from "../api-client.js";
import { usageError } from "../help.js";
import { countedStream, createProgress } from "../progress.js";
import { output, table } from "./output.js";

const fsRoute = (botId: string, rest: string, query: Record<string, string | undefined> = {}) => {
  const search = new URLSearchParams(
    Object.entries(query).filter((pair): pair is [string, string] => pair[1] !== undefined),
  ).toString();
  return botRoute(botId, `/container/fs${rest}${search ? `?${search}` : ""}`);
};

/** Every page of a listing, following nextCursor. */
async function listAll(target: ApiTarget, botId: string, folder: string, recursive: boolean): Promise<EntryView[]> {
  const entries: EntryView[] = [];
  let cursor: string | undefined;
  do {
    const page = (await callApi(
      target,
      "GET",
      fsRoute(botId, "/list", { path: folder, recursive: recursive ? "true" : undefined, cursor }),
    )) as { entries: EntryView[]; nextCursor?: string | null };
    entries.push(...page.entries);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return entries;
}

async function download(target: ApiTarget, botId: string, remote: string, local: string): Promise<void> {
  const response = await requestApi(target, "GET", fsRoute(botId, "/download", { path: remote }), { what: "fs get" });
  if (!response.body) throw new CliError("fs get: the server sent no content");
  const length = Number(response.headers.get("content-length") ?? NaN);
  if (local === "-") {
    await pipeline(Readable.fromWeb(response.body as never), process.stdout);
    return;
  }
  const progress = createProgress(`get ${path.basename(remote)}`, Number.isFinite(length) ? length : undefined);
  // Only a complete download takes the name.
  const partial = `${local}.part`;
  try {
    await pipeline(Readable.fromWeb(countedStream(response.body, progress) as never), createWriteStream(partial));
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  await rename(partial, local);
  progress.done();
}

async function upload(target: ApiTarget, botId: string, local: string, remote: string): Promise<{ size: number }> {
  const info = await stat(local).catch(() => undefined);
  if (!info?.isFile()) throw new CliError(`fs put: ${local} is not a readable file`);
  const progress = createProgress(`put ${path.basename(local)}`, info.size);
  const body = countedStream(Readable.toWeb(createReadStream(local)) as ReadableStream<Uint8Array>, progress);
  const response = await requestApi(target, "PUT", fsRoute(botId, "/upload", { path: remote }), {
    what: "fs put",
    body,
    headers: { "content-type": "application/octet-stream" },
  });
  progress.done();
  return (await response.json()) as { size: number };
}

/** `botbox fs ls|cat|put|get|rm|mv|mkdir`. */
export async function fsCommand(
  target: ApiTarget,
  args: string[],
  flags: { json: boolean; recursive: boolean },
): Promise<void> {
  const [action, botId, first, second] = args;
  if (!botId) throw usageError("fs");
  const need = (value: string | undefined): string => {
    if (!value) throw usageError("fs");
    return value;
  };
  switch (action) {
    case "ls": {
      const entries = await listAll(target, botId, first ?? "/data", flags.recursive);
      output(entries, flags.json, () =>
        table(entries.map((e) => [e.mode, String(e.size), e.modTime, `${e.path}${e.isDir ? "/" : ""}`])),
      );
      return;
    }
    case "cat":
      await download(target, botId, need(first), "-");
      return;
    case "get": {
      const remote = need(first);
      await download(target, botId, remote, second ?? path.basename(remote));
      return;
    }
    case "put": {
      const result = await upload(target, botId, need(first), need(second));
      output(result, flags.json, () => `${second}: ${result.size} bytes`);
      return;
    }
    case "rm":
      await callApi(target, "POST", fsRoute(botId, "/delete"), { path: need(first), recursive: flags.recursive });
      return;
    case "mv":
      await callApi(target, "POST", fsRoute(botId, "/rename"), { oldPath: need(first), newPath: need(second) });
      return;
    case "mkdir":
      await callApi(target, "POST", fsRoute(botId, "/mkdir"), { path: need(first) });
      return;
    default:
      throw usageError("fs");
  }
}
