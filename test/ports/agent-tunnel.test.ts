// The agent's Tunnel call against a real agent process: loopback only,
// bytes both ways with half-close, and the protocol's refusals.
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { after, before, describe, it } from "node:test";

import { ContainerServiceFastClient, type TunnelFrame } from "@botbox/proto";
import { credentials, Metadata, status } from "@grpc/grpc-js";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import { ForbiddenError, PortUnreachableError } from "../../packages/server/src/errors.js";
import type { AgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../support/shared-agent.js";

const TOKEN = SHARED_AGENT_TOKEN;

/** This machine's first address that is not loopback: what the tunnel must never reach. */
function outsideAddress(): string | undefined {
  for (const entries of Object.values(networkInterfaces()))
    for (const entry of entries ?? []) if (!entry.internal && entry.family === "IPv4") return entry.address;
  return undefined;
}

/** A TCP server on every address that answers each connection with what it read, upper-cased, at its end. */
async function shoutingServer(): Promise<{ server: Server; port: number; connections: Socket[] }> {
  const connections: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    connections.push(socket);
    const parts: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => parts.push(chunk));
    socket.on("end", () => socket.end(Buffer.concat(parts).toString("utf8").toUpperCase()));
  });
  server.listen(0, "0.0.0.0");
  await once(server, "listening");
  return { server, port: (server.address() as { port: number }).port, connections };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

describe("Tunnel", { timeout: 30_000 }, () => {
  let agent: AgentProcess;
  let client: AgentClient;
  let target: Awaited<ReturnType<typeof shoutingServer>>;

  before(async () => {
    ({ agent, client } = await sharedAgentWithClient({ transport: "unix", token: TOKEN }));
    target = await shoutingServer();
  });
  after(async () => {
    target?.server.close();
    await stopAgentWithClient({ agent, client });
  });

  it("carries bytes both ways to a loopback port, the client's end reaching the target as EOF", async () => {
    const tunnel = await client.openTunnel(target.port);
    tunnel.end("hello through the agent");
    assert.equal(await readAll(tunnel), "HELLO THROUGH THE AGENT");
  });

  it("reaches a loopback port by the name localhost too", async () => {
    const tunnel = await client.openTunnel(target.port, "localhost");
    tunnel.end("by name");
    assert.equal(await readAll(tunnel), "BY NAME");
  });

  it("refuses a target off the loopback, which a plain socket reaches, with PERMISSION_DENIED naming why", async (t) => {
    const outside = outsideAddress();
    if (!outside) return t.skip("this machine has no address but loopback");
    const seen = target.connections.length;
    // The protection off: a socket of this process reaches the same address and port.
    const direct = connect(target.port, outside);
    await once(direct, "connect");
    direct.destroy();
    await assert.rejects(client.openTunnel(target.port, outside), (error: unknown) => {
      assert.ok(error instanceof ForbiddenError, String(error));
      assert.match(error.message, /not on the bot's loopback/);
      assert.match(error.message, /never the host's or other bots'/);
      return true;
    });
    for (const address of ["0.0.0.0", "::", "10.255.255.1"]) {
      await assert.rejects(client.openTunnel(target.port, address), ForbiddenError, address);
    }
    // Only the direct socket arrived.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(target.connections.length, seen + 1);
  });

  it("answers a port nobody listens on with the dial's reason", async () => {
    const closed = createServer().listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as { port: number }).port;
    closed.close();
    await assert.rejects(client.openTunnel(port), (error: unknown) => {
      assert.ok(error instanceof PortUnreachableError, String(error));
      assert.match(error.message, /ECONNREFUSED/);
      return true;
    });
  });

  it("stops reading the target while the host does not read, so nothing piles up in between", async () => {
    const TOTAL = 256 * 2 ** 20;
    let flushed = 0;
    const flood = createServer((socket) => {
      const block = Buffer.alloc(2 ** 20, 7);
      const pump = () => {
        while (flushed < TOTAL) {
          flushed += block.length;
          if (!socket.write(block)) return void socket.once("drain", pump);
        }
        socket.end();
      };
      socket.on("error", () => undefined);
      pump();
    }).listen(0, "127.0.0.1");
    await once(flood, "listening");
    const tunnel = await client.openTunnel((flood.address() as { port: number }).port);
    // Until the target's writes stop (no progress for 500 ms) or pass the
    // bound, within 10 s: done as soon as the flow control holds, not after a
    // fixed 1.5 s. Without it they run on to 256 MiB and the check below fails.
    const deadline = Date.now() + 10_000;
    for (let seen = -1, still = Date.now(); flushed < 64 * 2 ** 20 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (flushed !== seen) [seen, still] = [flushed, Date.now()];
      else if (Date.now() - still >= 500) break;
    }
    const stalled = flushed;
    tunnel.destroy();
    flood.close();
    // Socket buffers and a few HTTP/2 windows, not the 256 MiB the target offered.
    assert.ok(stalled < 64 * 2 ** 20, `the target got ${stalled} bytes out while nobody read them`);
  });

  it("stops taking the host's bytes while the target does not read", async () => {
    const sink = createServer((socket) => socket.pause()).listen(0, "127.0.0.1");
    await once(sink, "listening");
    const tunnel = await client.openTunnel((sink.address() as { port: number }).port);
    const block = Buffer.alloc(2 ** 20, 9);
    let accepted = 0;
    const deadline = Date.now() + 1_500;
    while (Date.now() < deadline && accepted < 256 * 2 ** 20) {
      accepted += block.length;
      if (!tunnel.write(block))
        await Promise.race([
          once(tunnel, "drain"),
          new Promise((resolve) => setTimeout(resolve, deadline - Date.now())),
        ]);
    }
    tunnel.destroy();
    sink.close();
    assert.ok(accepted < 64 * 2 ** 20, `the tunnel took ${accepted} bytes that the target never read`);
  });

  describe("the protocol's refusals", () => {
    const raw = () => {
      const stub = new ContainerServiceFastClient(agent.address, credentials.createInsecure(), {
        "grpc.default_authority": "localhost",
      });
      const metadata = new Metadata();
      metadata.set("authorization", `Bearer ${TOKEN}`);
      return { stub, call: stub.tunnel(metadata) };
    };
    const statusOf = (call: ReturnType<typeof raw>["call"]) =>
      new Promise<{ code: number; details: string }>((resolve) => {
        call.on("data", () => undefined);
        call.on("error", (error: { code: number; details: string }) => resolve(error));
        call.on("status", (result: { code: number; details: string }) => resolve(result));
      });

    it("a first frame that is not open is INVALID_ARGUMENT", async () => {
      const { stub, call } = raw();
      const result = statusOf(call);
      call.write({ frame: { $case: "data", value: { data: Buffer.from("x") } } } satisfies TunnelFrame);
      const { code, details } = await result;
      stub.close();
      assert.equal(code, status.INVALID_ARGUMENT);
      assert.match(details, /first tunnel frame must be open/);
    });

    it("a second open is INVALID_ARGUMENT", async () => {
      const { stub, call } = raw();
      const result = statusOf(call);
      const open = (port: number): TunnelFrame => ({
        frame: { $case: "open", value: { address: `127.0.0.1:${port}` } },
      });
      call.write(open(target.port));
      call.write(open(target.port));
      const { code, details } = await result;
      stub.close();
      assert.equal(code, status.INVALID_ARGUMENT);
      assert.match(details, /one open frame/);
    });

    it("an address that is not host:port is INVALID_ARGUMENT", async () => {
      const { stub, call } = raw();
      const result = statusOf(call);
      call.write({ frame: { $case: "open", value: { address: "127.0.0.1" } } } satisfies TunnelFrame);
      const { code } = await result;
      stub.close();
      assert.equal(code, status.INVALID_ARGUMENT);
    });
  });
});
