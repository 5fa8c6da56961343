/**
 * slirp4netns gives an isolated bot's network namespace a tap device whose
 * traffic it carries out through ordinary sockets of the host: no bridge, no
 * routing or forwarding changes on the host, no daemon. It runs detached, so
 * a bot keeps its network across server restarts, with its own sandbox
 * (an empty mount namespace, all capabilities dropped) and seccomp filter;
 * `--disable-host-loopback` keeps the gateway address from reaching the
 * host's 127.0.0.1 (and the bot's rules refuse the gateway anyway).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";

import { UnavailableError } from "../../../errors.js";
import { processStartTime } from "../task-record.js";
import { yieldCpu } from "./nft.js";

const READY_TIMEOUT_MS = 10_000;

export interface HelperProcess {
  pid: number;
  startTime: string;
}

export async function startSlirp(
  tools: { slirp4netns: string; unshare: string },
  netnsPath: string,
  logFile: string,
  options: { background?: boolean } = {},
): Promise<HelperProcess> {
  const log = await open(logFile, "a", 0o600);
  try {
    // In a mount namespace of its own with private propagation: slirp4netns's
    // sandbox unmounts what it does not need, and on a shared /run/netns
    // those unmounts reached the host and broke its named network
    // namespaces (ip netns, CNI's). unshare execs it, so the pid is its own.
    const child = spawn(
      tools.unshare,
      [
        "--mount",
        "--propagation",
        "private",
        tools.slirp4netns,
        "--configure",
        "--mtu=65520",
        "--disable-host-loopback",
        "--enable-sandbox",
        "--enable-seccomp",
        "--ready-fd=3",
        "--netns-type=path",
        netnsPath,
        "tap0",
      ],
      { detached: true, stdio: ["ignore", log.fd, log.fd, "pipe"] },
    );
    // Made ahead for the pool: at the lowest priority until a bot takes it.
    if (options.background) yieldCpu(child.pid);
    const ready = child.stdio[3] as Readable;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        (async () => {
          for await (const chunk of ready) if (String(chunk).includes("1")) return;
          throw new UnavailableError(`slirp4netns ended before its network was ready (see ${logFile})`);
        })(),
        once(child, "error").then(([error]) => {
          throw new UnavailableError(`cannot run ${tools.slirp4netns}: ${(error as Error).message}`, { cause: error });
        }),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new UnavailableError(`slirp4netns was not ready within ${READY_TIMEOUT_MS} ms`)),
            READY_TIMEOUT_MS,
          );
        }),
      ]);
      const startTime = await processStartTime(child.pid!);
      if (startTime === undefined) throw new UnavailableError("slirp4netns ended right after start");
      return { pid: child.pid!, startTime };
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    } finally {
      clearTimeout(timer);
      ready.destroy();
      child.unref();
    }
  } finally {
    await log.close();
  }
}

/** Ends a helper if it is still the process recorded (a reused pid is left alone). */
export async function stopHelper(helper: HelperProcess | undefined): Promise<void> {
  if (!helper || (await processStartTime(helper.pid)) !== helper.startTime) return;
  try {
    process.kill(helper.pid, "SIGKILL");
  } catch {
    // Gone meanwhile.
  }
}
