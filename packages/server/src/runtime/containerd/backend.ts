/** The containerd backend's entry in the registry (../backends.ts): a containerd daemon and CNI. */
import { existsSync } from "node:fs";

import { normalizeImageRef } from "../../config/image-ref.js";
import type { RuntimeBackend } from "../backend.js";
import { DEFAULT_AGENT_IMAGE } from "../docker/defaults.js";

export const containerdBackend: RuntimeBackend = {
  name: "containerd",
  summary: "containers of a containerd daemon, networked with CNI ([containerd] socket_path)",
  defaultImage: DEFAULT_AGENT_IMAGE,
  upgrades: true,
  unavailable(config) {
    const socket = config.containerd.socket_path;
    return existsSync(socket)
      ? undefined
      : `no containerd socket at ${socket}: start containerd, or set [containerd] socket_path`;
  },
  async create({ config, knownImages }) {
    // Loaded only when used: it needs the stubs npm run gen makes from the containerd API protos.
    const { ContainerdRuntime, containerdOptionsFrom } = await import("./index.js");
    return new ContainerdRuntime(containerdOptionsFrom(config.server.home, config.containerd, knownImages));
  },
  sameImage: (image, ref) => normalizeImageRef(image) === normalizeImageRef(ref),
};
