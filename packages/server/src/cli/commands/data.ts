import { createReadStream, createWriteStream } from "node:fs";
import { rename, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { type ApiTarget, CliError } from "../api-client.js";
import { usageError } from "../help.js";
import { countedStream, createProgress } from "../progress.js";
import { api, sdkFor } from "../sdk-client.js";

/** `botbox export <bot> [file|-]`: /data as a tar.gz, to a file or stdout. */
export async function exportCommand(target: ApiTarget, args: string[]): Promise<void> {
  const [botId, file = `${args[0]}-data.tar.gz`] = args;
  if (!botId) throw usageError("export");
  const archive = await api("export", sdkFor(target).bots.handle(botId).export());
  const toStdout = file === "-";
  const progress = createProgress(`export ${botId}`, undefined);
  const sink = toStdout ? process.stdout : createWriteStream(`${file}.part`, { mode: 0o600 });
  await pipeline(Readable.fromWeb(countedStream(archive, progress) as never), sink);
  progress.done();
  if (!toStdout) {
    // Only a complete archive takes the name: an interrupted one stays .part.
    await rename(`${file}.part`, file);
    process.stderr.write(`${file}\n`);
  }
}

/** `botbox import <bot> <file|-> [--replace]`: a tar.gz into /data. */
export async function importCommand(target: ApiTarget, args: string[], flags: { replace: boolean }): Promise<void> {
  const [botId, file] = args;
  if (!botId || !file) throw usageError("import");
  const fromStdin = file === "-";
  const size = fromStdin ? undefined : (await stat(file).catch(() => undefined))?.size;
  if (!fromStdin && size === undefined) throw new CliError(`import: cannot read ${file}`);
  const progress = createProgress(`import ${botId}`, size);
  const source = fromStdin ? process.stdin : createReadStream(file);
  const body = countedStream(Readable.toWeb(source) as ReadableStream<Uint8Array>, progress);
  await api("import", sdkFor(target).bots.handle(botId).import(body, { replace: flags.replace }));
  progress.done();
}
