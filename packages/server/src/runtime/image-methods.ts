/**
 * The runtime contract's image methods, which every backend hands to an
 * image store of its own (a folder tree, Docker's daemon, containerd's
 * content store): written once here, each backend extends this class.
 * Deleting an image is not here: what "in use" means differs per backend.
 */
import type { ImageInfo } from "./runtime.js";

/** What a backend's image store offers. */
export interface BackendImages {
  ensure(ref: string): Promise<ImageInfo>;
  list(): Promise<ImageInfo[]>;
  import(ref: string, tarPath: string): Promise<ImageInfo>;
}

export abstract class ImageStoreRuntime {
  protected abstract readonly images: BackendImages;

  ensureImage(ref: string): Promise<ImageInfo> {
    return this.images.ensure(ref);
  }

  listImages(): Promise<ImageInfo[]> {
    return this.images.list();
  }

  importImage(ref: string, tarPath: string): Promise<ImageInfo> {
    return this.images.import(ref, tarPath);
  }
}
