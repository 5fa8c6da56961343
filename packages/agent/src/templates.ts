import { constants } from "node:fs";
import { chmod, copyFile, mkdir, readdir } from "node:fs/promises";
import path from "node:path";

import type { Logger } from "pino";

import { errorCode } from "./rpc-error.js";

/**
 * Every start makes the data folder and copies each top-level
 * regular file of the template folder that the data folder lacks. Folders are
 * skipped; a missing template folder is fine.
 */
export async function seedTemplates(dataDir: string, templateDir: string, logger: Logger): Promise<string[]> {
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  let entries;
  try {
    entries = await readdir(templateDir, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) !== "ENOENT") logger.warn({ err: error, templateDir }, "cannot read template folder");
    return [];
  }
  const seeded: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const target = path.join(dataDir, entry.name);
    try {
      await copyFile(path.join(templateDir, entry.name), target, constants.COPYFILE_EXCL);
      await chmod(target, 0o644);
      seeded.push(entry.name);
    } catch (error) {
      if (errorCode(error) !== "EEXIST") logger.warn({ err: error, file: entry.name }, "cannot seed template file");
    }
  }
  return seeded;
}
