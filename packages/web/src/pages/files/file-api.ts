import type { ApiClient } from "../../api/client";
import { segment } from "../../api/client";
import type { FilePage, SignedUrl } from "../../api/types";

/** The file manager routes of one bot (docs/reference.md#file-manager), as the Files tab uses them. */
export class BotFiles {
  readonly #base: string;

  constructor(
    private readonly api: ApiClient,
    botId: string,
  ) {
    this.#base = `/bots/${segment(botId)}/container/fs`;
  }

  list(path: string, cursor: string | undefined, limit: number): Promise<FilePage> {
    const query = new URLSearchParams({ path, limit: String(limit), ...(cursor ? { cursor } : {}) });
    return this.api.json("GET", `${this.#base}/list?${query}`);
  }

  readText(path: string): Promise<{ content: string; size: number }> {
    return this.api.json("GET", `${this.#base}/read?${new URLSearchParams({ path })}`);
  }

  writeText(path: string, content: string): Promise<unknown> {
    return this.api.json("POST", `${this.#base}/write`, { path, content });
  }

  mkdir(path: string): Promise<unknown> {
    return this.api.json("POST", `${this.#base}/mkdir`, { path });
  }

  rename(oldPath: string, newPath: string): Promise<unknown> {
    return this.api.json("POST", `${this.#base}/rename`, { oldPath, newPath });
  }

  delete(path: string, recursive: boolean): Promise<unknown> {
    return this.api.json("POST", `${this.#base}/delete`, { path, recursive });
  }

  /** Streams `file` (from disk, by the browser) into `path`, reporting progress. */
  upload(path: string, file: File, onProgress: (sent: number, total: number) => void, signal: AbortSignal) {
    return this.api.send("PUT", `${this.#base}/upload?${new URLSearchParams({ path })}`, file, {
      contentType: "application/octet-stream",
      onProgress,
      signal,
    });
  }

  /**
   * Saves a file to the user's disk: a short-lived signed link that the
   * browser navigates to, so the download streams to disk (a fetch would
   * hold the whole file in the page first).
   */
  async download(path: string): Promise<void> {
    const link = await this.api.json<SignedUrl>("POST", `${this.#base}/download-link`, { path });
    const anchor = document.createElement("a");
    anchor.href = link.path;
    anchor.download = "";
    anchor.rel = "noopener";
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
  }
}

export const joinPath = (folder: string, name: string) => `${folder.replace(/\/+$/, "")}/${name}`;
export const parentOf = (path: string) => path.replace(/\/[^/]+\/?$/, "") || "/";
