/**
 * What the isolated-network tests of the container backends (Docker and
 * containerd) share. Every probe stays on this machine: listeners on the
 * host's own addresses, and an "outside" network namespace the test makes,
 * reached through a veth pair and routed by the host like any other
 * destination. It has a private address (10.213.N.2, which isolated bots may
 * not reach) and one standing for the internet (203.0.113.N, TEST-NET-3,
 * which they may), N from the test process's pid.
 */
import { execFile, spawn } from "node:child_process";
import net from "node:net";
import { networkInterfaces } from "node:os";
import { promisify } from "node:util";

import type { AgentClient } from "../../packages/server/src/client/index.js";

const run = promisify(execFile);

/** Connects from inside the bot; "hello" when the listener answered, "blocked" when not within 5 s. */
export async function probe(client: AgentClient, address: string, port: number): Promise<string> {
  const command = `timeout 5 bash -c 'exec 3<>/dev/tcp/${address}/${port}; head -n1 <&3' 2>/dev/null || echo blocked`;
  return (await client.exec(command)).stdout.trim();
}

/** The host's address on the interface of its default route (not loopback, not a bridge of bots). */
export async function hostAddress(): Promise<string> {
  const { stdout } = await run("ip", ["-4", "route", "show", "default"]);
  const device = /\bdev (\S+)/.exec(stdout)?.[1];
  const found = (networkInterfaces()[device ?? ""] ?? []).find((entry) => entry.family === "IPv4");
  if (!found) throw new Error(`no IPv4 address on the default route's interface ${device}`);
  return found.address;
}

/** A TCP listener on every host address that says hello to whoever connects. */
export async function hostListener(): Promise<{ port: number; close(): void }> {
  // A prober that hangs up first resets the connection: that must not fail the test process.
  const server = net.createServer((socket) => socket.on("error", () => {}).end("hello\n"));
  await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

export interface OutsideNamespace {
  /** In a private range: refused to isolated bots unless allowed. */
  privateAddress: string;
  /** Outside every blocked range: "the internet". */
  publicAddress: string;
  port: number;
  close(): Promise<void>;
}

/** The namespace, its veth pair and routes, and a hello listener on :8080 inside it. */
export async function outsideNamespace(): Promise<OutsideNamespace> {
  const n = (process.pid % 250) + 1;
  const ns = `botbox-out-${process.pid}`;
  const hostSide = `bbo${process.pid}`;
  const privateAddress = `10.213.${n}.2`;
  const publicAddress = `203.0.113.${n}`;
  const close = async () => {
    await run("ip", ["link", "delete", hostSide]).catch(() => {});
    await run("ip", ["netns", "delete", ns]).catch(() => {});
  };
  await close();
  const steps = [
    ["netns", "add", ns],
    ["link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", ns],
    ["address", "add", `10.213.${n}.1/30`, "dev", hostSide],
    ["link", "set", hostSide, "up"],
    ["-n", ns, "address", "add", `${privateAddress}/30`, "dev", "eth0"],
    ["-n", ns, "address", "add", `${publicAddress}/32`, "dev", "eth0"],
    ["-n", ns, "link", "set", "eth0", "up"],
    ["-n", ns, "link", "set", "lo", "up"],
    ["-n", ns, "route", "add", "default", "via", `10.213.${n}.1`],
    ["route", "add", `${publicAddress}/32`, "via", privateAddress],
  ];
  try {
    for (const step of steps) await run("ip", step);
  } catch (error) {
    await close();
    throw error;
  }
  const script = `require("net").createServer((s) => s.end("hello\\n")).listen(8080, () => console.log("ready"))`;
  const listener = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    listener.stdout.once("data", () => resolve());
    listener.once("exit", (code) => reject(new Error(`the outside listener exited with ${code}`)));
  });
  return {
    privateAddress,
    publicAddress,
    port: 8080,
    close: async () => {
      listener.kill("SIGKILL");
      await close();
    },
  };
}

/** Whether the host's ruleset has a table by that name, and its listing. */
export async function nftTable(name: string): Promise<string | undefined> {
  return run("nft", ["list", "table", "inet", name]).then(
    (result) => result.stdout,
    () => undefined,
  );
}
