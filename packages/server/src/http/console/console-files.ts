import { createReadStream, type ReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";

import { contentTypeFor } from "../files/content-headers.js";

/** What `npm run build` puts in packages/web/dist: index.html and assets/<name>-<hash>.<ext>. */
export interface ConsoleFiles {
  /** index.html's text, or undefined when the console is not built. */
  page(): Promise<string | undefined>;
  /** A file under assets/ by its name there, or undefined when there is none (or the name leaves the folder). */
  asset(name: string): Promise<{ stream: ReadStream; size: number; contentType: string } | undefined>;
}

const ASSET_NAME = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

export function consoleFiles(dir: string): ConsoleFiles {
  const assets = path.join(dir, "assets");
  return {
    async page() {
      return readFile(path.join(dir, "index.html"), "utf8").catch(() => undefined);
    },
    async asset(name) {
      // Vite's names are plain: anything else (.., %, \) is not one of them.
      if (!ASSET_NAME.test(name) || name.split("/").some((part) => part === ".." || part === ".")) return undefined;
      const file = path.join(assets, name);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return undefined;
      return { stream: createReadStream(file), size: info.size, contentType: contentTypeFor(file) };
    },
  };
}
