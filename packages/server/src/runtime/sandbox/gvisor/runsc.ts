/**
 * gVisor's runsc as the sandbox runtime drives it: `create` (the sandbox and
 * its gofer start, detached), then `start`; `kill` and `delete` to stop. The
 * same global flags go to every call: runsc reads them again at `start`.
 *
 * - `--platform=ptrace`: works without KVM (none on these machines).
 * - `--host-uds=create`: the agent's Unix socket, made inside, appears on the
 *   host in the bound run folder, where the host dials it as for any bot.
 * - `--network=host` for `isolated` and `host`: the sandbox uses the kernel's
 *   sockets in whatever namespace it was given, so an isolated bot's rules
 *   and slirp4netns apply unchanged; `none`: gVisor's own empty stack.
 * - `--ignore-cgroups`: the bot's cgroup is the one botbox makes; the
 *   sandbox process is moved in before the bot starts.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

import { UnavailableError } from "../../../errors.js";
import type { NetworkMode } from "../../runtime.js";
import { findExecutable } from "../find-bwrap.js";

const run = promisify(execFile);

export function findRunsc(): string | undefined {
  return findExecutable("runsc");
}

export class Runsc {
  constructor(
    readonly binary: string,
    /** runsc's state folder for this home's bots. */
    private readonly stateRoot: string,
  ) {}

  /** The global flags of every call for a bot on this network. */
  flags(network: NetworkMode): string[] {
    return [
      `--root=${this.stateRoot}`,
      "--platform=ptrace",
      "--host-uds=create",
      `--network=${network === "none" ? "none" : "host"}`,
      "--ignore-cgroups",
    ];
  }

  /**
   * runsc talks to its sandbox over an abstract socket of the sandbox's
   * network namespace: for a bot in a namespace of its own (`netns`), the
   * call runs in there.
   */
  async call(network: NetworkMode, args: string[], netns?: string): Promise<string> {
    const command = [this.binary, ...this.flags(network), ...args];
    try {
      return (await (netns ? run("nsenter", [`--net=${netns}`, "--", ...command]) : run(command[0]!, command.slice(1))))
        .stdout;
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
      throw new UnavailableError(`runsc ${args[0]} failed: ${stderr || (error as Error).message}`, { cause: error });
    }
  }

  /** Ends the bot's sandbox and forgets it; fine when there is none. */
  async remove(network: NetworkMode, id: string, netns?: string): Promise<void> {
    await this.call(network, ["delete", "--force", id], netns).catch(() => undefined);
  }
}
