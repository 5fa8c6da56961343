// What the security suite needs around a backend: bots made by one runtime,
// a command run in a bot, listeners on the host, a stand-in metadata endpoint
// in a network namespace of the test's own, and the apt mirror (the one
// outside destination a test may use to show that outbound access works).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { networkInterfaces } from "node:os";
import { promisify } from "node:util";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";

const run = promisify(execFile);

export const TEST_RUNTIME = process.env.BOTBOX_TEST_RUNTIME || "sandbox";

/** Exit status of a TCP connect from inside the bot: 0 connected, else refused, unreachable or timed out. */
export async function connectFrom(client: AgentClient, host: string, port: number): Promise<boolean> {
  const result = await client.exec(`timeout 5 bash -c 'exec 3<>/dev/tcp/${host}/${port}' 2>&1`);
  return result.exitCode === 0;
}

/** A TCP listener on the host that accepts and closes; its port. */
export async function hostListener(host: string): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The host's first non-loopback IPv4 address. */
export function hostAddress(): string {
  for (const addresses of Object.values(networkInterfaces()))
    for (const address of addresses ?? []) if (address.family === "IPv4" && !address.internal) return address.address;
  throw new Error("the host has no non-loopback IPv4 address");
}

/** The host name of the Debian mirror apt is configured with, read from apt's sources now. */
export async function aptMirrorHost(): Promise<string> {
  const files = ["/etc/apt/sources.list"];
  for (const name of await readdir("/etc/apt/sources.list.d").catch(() => []))
    files.push(`/etc/apt/sources.list.d/${name}`);
  for (const file of files) {
    const text = await readFile(file, "utf8").catch(() => "");
    const match = /^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)https?:\/\/([^/\s:]+)/m.exec(text);
    if (match) return match[1]!;
  }
  throw new Error("no http mirror found in apt's sources");
}

/**
 * A stand-in for a cloud metadata endpoint: a network namespace of the
 * test's own holding 169.254.169.254 behind a veth pair, with a listener on
 * port 80, and a host route to it. Root only.
 */
export class MetadataEndpoint {
  static readonly ADDRESS = "169.254.169.254";
  readonly port = 80;
  private listener?: ChildProcess;
  private constructor(
    private readonly netns: string,
    private readonly hostSide: string,
  ) {}

  static async start(): Promise<MetadataEndpoint> {
    const tag = `${process.pid % 100000}`;
    const netns = `bbmeta${tag}`;
    const hostSide = `bbmh${tag}`;
    const endpoint = new MetadataEndpoint(netns, hostSide);
    try {
      await run("ip", ["netns", "add", netns]);
      await run("ip", ["link", "add", hostSide, "type", "veth", "peer", "name", "meta0", "netns", netns]);
      await run("ip", ["addr", "add", "169.254.169.1/32", "dev", hostSide]);
      await run("ip", ["link", "set", hostSide, "up"]);
      await run("ip", ["route", "add", `${MetadataEndpoint.ADDRESS}/32`, "dev", hostSide]);
      await run("ip", ["-n", netns, "addr", "add", `${MetadataEndpoint.ADDRESS}/32`, "dev", "meta0"]);
      await run("ip", ["-n", netns, "link", "set", "meta0", "up"]);
      await run("ip", ["-n", netns, "link", "set", "lo", "up"]);
      await run("ip", ["-n", netns, "route", "add", "169.254.169.1/32", "dev", "meta0"]);
      await run("ip", ["-n", netns, "route", "add", "default", "via", "169.254.169.1", "dev", "meta0", "onlink"]);
      // A listener that answers, in its own process group, ending after a while whatever happens to the test.
      endpoint.listener = spawn(
        "ip",
        [
          "netns",
          "exec",
          netns,
          "timeout",
          "600",
          process.execPath,
          "-e",
          "require('net').createServer((s) => s.end('metadata\\n')).listen(80, '0.0.0.0')",
        ],
        { detached: true, stdio: "ignore" },
      );
      endpoint.listener.unref();
      await waitForPort(netns, 80);
      return endpoint;
    } catch (error) {
      await endpoint.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.listener?.pid) {
      try {
        process.kill(-this.listener.pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    await run("ip", ["link", "del", this.hostSide]).catch(() => {});
    await run("ip", ["netns", "del", this.netns]).catch(() => {});
  }
}

async function waitForPort(netns: string, port: number): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const { stdout } = await run("ip", ["netns", "exec", netns, "ss", "-Hltn", `sport = :${port}`]);
    if (stdout.trim()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on port ${port} in ${netns}`);
}

export type SpecOverrides = Partial<Pick<ContainerSpec, "network" | "egress" | "limits">>;
