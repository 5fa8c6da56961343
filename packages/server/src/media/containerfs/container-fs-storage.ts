import path from "node:path";
import type { Readable } from "node:stream";

import type { AgentClient } from "../../client/index.js";
import { BadRequestError, NotFoundError, reachWorkspace } from "../../errors.js";
import { checkBotId, checkListPrefix, MEDIA_ROOT, parseRoutingKey, splitRoutingKey } from "../routing-key.js";
import type { ByteSource, MediaStorage, StoredObject } from "../storage.js";

/** Relative, so the agent resolves it under the bot's /data. */
const MEDIA_DIR = "media";
const DATA_PREFIX = "/data/";
/** The no-follow calls' root: "" is the agent's data folder, /data in a workspace. */
const DATA_ROOT = "";

export type AgentLookup = (
  botId: string,
) => Promise<Pick<AgentClient, "writeRawNoFollow" | "readRawNoFollow" | "stat" | "rename" | "deleteFile" | "listDir">>;

/**
 * Media stored as files in each bot's own /data/media (the original's
 * storage/providers/containerfs). Bytes go in and out through the agent's
 * no-follow calls: the bot owns /data/media and could put a link where a
 * media file is expected (to /dev/zero, a FIFO, its agent's files); such a
 * file is refused (403) instead of served or written through.
 */
export class ContainerFsStorage implements MediaStorage {
  constructor(private readonly agentFor: AgentLookup) {}

  async put(key: string, source: ByteSource): Promise<number> {
    const { botId, sub } = parseRoutingKey(key);
    return (await this.agent(botId)).writeRawNoFollow(DATA_ROOT, `${MEDIA_DIR}/${sub}`, source, { replace: true });
  }

  async open(key: string): Promise<Readable> {
    const { botId, sub } = parseRoutingKey(key);
    return (await this.agent(botId)).readRawNoFollow(DATA_ROOT, `${MEDIA_DIR}/${sub}`);
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    const { botId, sub } = parseRoutingKey(key);
    const agent = await this.agent(botId);
    try {
      const entry = await agent.stat(`${MEDIA_DIR}/${sub}`);
      // Anything but a folder: open() refuses a link, FIFO or device by name (403), not as missing.
      return entry.kind === "dir" ? undefined : { key: `${botId}/${sub}`, size: entry.size, modTime: entry.modTime };
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    const from = parseRoutingKey(fromKey);
    const to = parseRoutingKey(toKey);
    if (from.botId !== to.botId) throw new BadRequestError("cannot move media between bots");
    // The agent makes the target's folder, and rename(2) replaces atomically.
    await (await this.agent(from.botId)).rename(`${MEDIA_DIR}/${from.sub}`, `${MEDIA_DIR}/${to.sub}`);
  }

  async delete(key: string): Promise<void> {
    const { botId, sub } = parseRoutingKey(key);
    await (await this.agent(botId)).deleteFile(`${MEDIA_DIR}/${sub}`, { recursive: false });
  }

  accessPath(key: string): string {
    return `${MEDIA_ROOT}/${parseRoutingKey(key).sub}`;
  }

  async openContainerFile(botId: string, containerPath: string): Promise<Readable> {
    if (!containerPath.startsWith(DATA_PREFIX)) throw new BadRequestError("path must start with /data/");
    const rest = containerPath.slice(DATA_PREFIX.length);
    // "/data//etc/x" leaves an absolute rest, which the agent would read as /etc/x.
    if (rest === "" || rest.startsWith("/") || rest.split("/").includes("..") || rest.includes("\0")) {
      throw new BadRequestError("invalid container path");
    }
    return (await this.agent(botId)).readRawNoFollow(DATA_ROOT, rest);
  }

  /**
   * Unlike the original, which answered every failure with an
   * empty list, only a missing folder is empty; other errors are reported.
   * A prefix ending in "/" lists that folder (the original cleaned the slash
   * away and then looked for the folder's name among its parent's files).
   */
  async listPrefix(prefix: string): Promise<StoredObject[]> {
    const [botId, subPrefix] = splitRoutingKey(prefix);
    const bot = checkBotId(botId);
    checkListPrefix(subPrefix);
    const wholeFolder = subPrefix === "" || subPrefix.endsWith("/");
    const folder = wholeFolder ? subPrefix.replace(/\/+$/, "") : path.posix.dirname(subPrefix).replace(/^\.$/, "");
    const namePrefix = wholeFolder ? "" : path.posix.basename(subPrefix);
    const agent = await this.agent(bot);
    let entries;
    try {
      entries = await agent.listDir(folder ? `${MEDIA_DIR}/${folder}` : MEDIA_DIR);
    } catch (error) {
      if (error instanceof NotFoundError) return [];
      throw error;
    }
    return entries
      .filter((entry) => entry.kind !== "dir" && entry.path.startsWith(namePrefix) && !entry.path.startsWith("."))
      .map((entry) => ({
        key: `${bot}/${folder ? `${folder}/` : ""}${entry.path}`,
        size: entry.size,
        modTime: entry.modTime,
      }));
  }

  private agent(botId: string) {
    return reachWorkspace(botId, this.agentFor);
  }
}
