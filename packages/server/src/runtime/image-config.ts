/**
 * An image's config (OCI image spec, Docker's the same) as the container
 * backends read and complete it. Archives made by hand or old tools may lack
 * the os, the architecture or the layers' diff ids, which `docker load` and
 * containerd's unpacking both need; both backends fill them in alike.
 */
export interface ImageConfig {
  os?: string;
  architecture?: string;
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    User?: string;
  };
  rootfs?: { type: string; diff_ids?: string[] };
  [key: string]: unknown;
}

/** This machine's architecture as Go (and so OCI) names it. */
export function goArch(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

/** The config with an os and architecture (this machine's where missing) and the given layers' diff ids. */
export function completedConfig(config: ImageConfig, diffIds: string[]): ImageConfig {
  return {
    ...config,
    os: config.os ?? "linux",
    architecture: config.architecture ?? goArch(),
    rootfs: { type: "layers", diff_ids: diffIds },
  };
}
