/**
 * What the network isolation tests share (the runtime contract's, and the
 * container backends' in container-isolation.ts). Every probe stays on this machine: listeners on the
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
  return (await client.exec(probeCommand(address, port))).stdout.trim();
}

const probeCommand = (address: string, port: number, seconds = 5) =>
  `timeout ${seconds} bash -c 'exec 3<>/dev/tcp/${address}/${port}; head -n1 <&3' 2>/dev/null || echo blocked`;

const GREETER_PORT = 8000;
/** A listener on every address of the bot that says hello to whoever connects. */
const GREETER = [
  "import socket",
  "server = socket.socket()",
  "server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
  `server.bind(("0.0.0.0", ${GREETER_PORT}))`,
  "server.listen()",
  "while True:",
  "    connection, _ = server.accept()",
  '    connection.sendall(b"hello\\n")',
  "    connection.close()",
].join("\n");

/**
 * Starts a hello listener in the bot, in the background, and waits until it
 * answers at the bot's own address (not loopback); that address and the port.
 */
export async function greeterIn(client: AgentClient): Promise<{ address: string; port: number }> {
  await client.exec(`cat > /tmp/greeter.py <<'END'\n${GREETER}\nEND\nnohup python3 /tmp/greeter.py >/dev/null 2>&1 &`);
  const address = await addressOf(client);
  const answered = `for i in $(seq 50); do { ${probeCommand(address, GREETER_PORT, 1)}; } | grep -q hello && echo hello && exit; sleep 0.1; done; echo silent`;
  const result = (await client.exec(answered)).stdout.trim();
  if (result !== "hello") throw new Error(`the greeter in the bot does not answer at ${address}:${GREETER_PORT}`);
  return { address, port: GREETER_PORT };
}

/** The bot's own address: the source of its route to an outside address (no packet is sent). */
export async function addressOf(client: AgentClient): Promise<string> {
  const script =
    'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("203.0.113.1", 1)); print(s.getsockname()[0])';
  const address = (await client.exec(`python3 -c '${script}'`)).stdout.trim();
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) throw new Error(`no address of the bot: ${JSON.stringify(address)}`);
  return address;
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
