// The FakeRuntime's images: one built in (the host and the agent bundle,
// which every fake bot runs) and imported tars, recorded by reference and
// content digest. A fake bot never sees an image's files: they are checked to
// be an image archive and remembered, not unpacked.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";

import { BadRequestError, NotFoundError } from "../../packages/server/src/errors.js";
import type { ImageInfo } from "../../packages/server/src/runtime/runtime.js";
import type { FakeRuntimeState, StoredImage } from "./fake-runtime-state.js";

const run = promisify(execFile);

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return `sha256:${hash.digest("hex")}`;
}

export class FakeRuntimeImages {
  private readonly file: string;
  private builtIn?: Promise<ImageInfo>;
  /** images.json is read, changed and written whole: one change at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly state: FakeRuntimeState,
    private readonly builtInRef: string,
    private readonly agentBundle: string,
  ) {
    this.file = path.join(state.home, "images.json");
  }

  async ensure(ref: string): Promise<ImageInfo> {
    if (ref === this.builtInRef) return this.builtInImage();
    const stored = (await this.read())[ref];
    if (!stored)
      throw new NotFoundError(`image ${ref} not found: the fake runtime knows ${this.builtInRef} and imports`);
    return { ref, id: stored.id, createdAt: new Date(stored.createdAt) };
  }

  async list(): Promise<ImageInfo[]> {
    const imported = Object.entries(await this.read()).map(([ref, stored]) => ({
      ref,
      id: stored.id,
      createdAt: new Date(stored.createdAt),
    }));
    return [await this.builtInImage(), ...imported];
  }

  async import(ref: string, tarPath: string): Promise<ImageInfo> {
    if (ref === this.builtInRef) throw new BadRequestError(`${ref} is the fake runtime's built-in image`);
    const members = await run("tar", ["-tf", tarPath], { maxBuffer: 64 << 20 }).then(
      ({ stdout }) => stdout.split("\n").map((member) => member.replace(/^\.\//, "")),
      (error: Error) => {
        throw new BadRequestError(`${tarPath} is not a tar archive: ${error.message}`);
      },
    );
    if (!members.includes("manifest.json") && !members.includes("index.json"))
      throw new BadRequestError(`${tarPath} is not an image archive: it has no manifest.json or index.json`);
    const image: StoredImage = { id: await sha256Of(tarPath), createdAt: new Date().toISOString() };
    await this.change((images) => ({ ...images, [ref]: image }));
    return { ref, id: image.id, createdAt: new Date(image.createdAt) };
  }

  async delete(ref: string): Promise<void> {
    if (ref === this.builtInRef) throw new BadRequestError(`${ref} is the fake runtime's built-in image`);
    await this.change((images) => {
      if (!images[ref]) throw new NotFoundError(`image ${ref} not found`);
      const { [ref]: _deleted, ...rest } = images;
      return rest;
    });
  }

  /** The agent bundle's digest: it is what a fake bot runs. */
  private builtInImage(): Promise<ImageInfo> {
    this.builtIn ??= sha256Of(this.agentBundle).then((id) => ({ ref: this.builtInRef, id, createdAt: new Date(0) }));
    return this.builtIn;
  }

  private async read(): Promise<Record<string, StoredImage>> {
    return (await this.state.readJson<Record<string, StoredImage>>(this.file)) ?? {};
  }

  private change(update: (images: Record<string, StoredImage>) => Record<string, StoredImage>): Promise<void> {
    const next = this.queue.then(async () => this.state.writeJson(this.file, update(await this.read())));
    this.queue = next.catch(() => undefined);
    return next;
  }
}
