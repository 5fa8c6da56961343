/**
 * The agent's socket lives in a folder the bot can write to (bind-mounted at
 * /run/botbox). Where root in the bot may replace the file (Docker and
 * containerd without a user namespace), the host looks at what is there each
 * time it resolves the endpoint and never dials a symlink: one the bot left
 * would be followed on the host's side, to another bot's socket.
 */
import { lstat } from "node:fs/promises";

import { UnavailableError } from "../errors.js";

/** `unix:<socket>` once the path holds a socket itself (or nothing yet); refuses anything else. */
export async function checkedSocketAddress(socket: string): Promise<string> {
  const stats = await lstat(socket).catch(() => undefined);
  if (stats && !stats.isSocket())
    throw new UnavailableError(
      `the agent socket ${socket} ${stats.isSymbolicLink() ? "is a symbolic link" : "is not a socket"}: not dialled (replaced from inside the bot?)`,
    );
  return `unix:${socket}`;
}
