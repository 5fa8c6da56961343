/**
 * The network isolation the container backends (Docker and containerd)
 * share, run by each one's *-isolation.test.ts inside its `describe`: what
 * an `isolated` bot cannot reach and a `host` bot (a plain bridge) can, that
 * bots on the bridge cannot reach each other either way, no raw sockets, and
 * the host's nftables rules that enforce it. The bot-to-bot test every
 * backend passes is the runtime contract's (contract-confinement.ts).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, it } from "node:test";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import { tableName } from "../../packages/server/src/runtime/host-firewall.js";
import type { ContainerRuntime, ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import {
  greeterIn,
  hostAddress,
  hostListener,
  nftTable,
  type OutsideNamespace,
  outsideNamespace,
  probe,
} from "./isolation-support.js";
import type { BackendSuite } from "./support.js";

export interface ContainerIsolationTarget<R extends ContainerRuntime> {
  backend: "docker" | "containerd";
  suite: BackendSuite<R>;
  /** The bots' bridge: its interface, gateway and subnet. */
  bridge(): Promise<{ iface: string; gateway: string; subnet: string }>;
  /** A running bot's address on the bridge, as the backend recorded it. */
  ipOf(spec: ContainerSpec): Promise<string>;
  /** Another runtime on the suite's home, as a restarted server makes it; closed by the caller's suite. */
  reopen(): Promise<ContainerRuntime>;
}

/** Registers the shared tests; what they set up (a host listener, an "outside" namespace) is for the caller's own. */
export function containerIsolationTests<R extends ContainerRuntime>(
  target: ContainerIsolationTarget<R>,
): {
  readonly listener: { port: number };
} {
  const { suite } = target;
  let outside: OutsideNamespace;
  let listener: { port: number; close(): void };
  const started = (overrides: Partial<ContainerSpec>) => suite.started(overrides);

  before(async () => {
    outside = await outsideNamespace();
    listener = await hostListener();
  });
  after(async () => {
    listener?.close();
    await outside?.close();
  });

  it("an isolated bot cannot connect to the host's address or its bridge gateway; a host bot can", async () => {
    const host = await hostAddress();
    const [, isolated] = await started({ network: "isolated" });
    const [, open] = await started({ network: "host" });
    const { gateway } = await target.bridge();
    for (const address of [host, gateway]) {
      assert.equal(await probe(open, address, listener.port), "hello", `host bot to ${address}`);
      assert.equal(await probe(isolated, address, listener.port), "blocked", `isolated bot to ${address}`);
    }
  });

  it("an isolated bot reaches the internet but not a private range, unless allowed; a host bot reaches both", async () => {
    const { privateAddress: inside, publicAddress: internet, port } = outside;
    const [, open] = await started({ network: "host" });
    const [, isolated] = await started({ network: "isolated" });
    assert.equal(await probe(open, inside, port), "hello");
    assert.equal(await probe(isolated, internet, port), "hello");
    assert.equal(await probe(isolated, inside, port), "blocked");
    const [, allowed] = await started({ network: "isolated", egress: { allow: [inside], deny: [] } });
    assert.equal(await probe(allowed, inside, port), "hello", "allowed by address");
    assert.equal(await probe(allowed, internet, port), "blocked", "an allow-list allows nothing else");
  });

  it("deny wins over allow, allow [] allows nothing, and a denied internet address is refused", async () => {
    const { privateAddress: inside, publicAddress: internet, port } = outside;
    const subnet = inside.replace(/\.\d+$/, ".0/24");
    const [, denied] = await started({ network: "isolated", egress: { allow: [subnet], deny: [`${inside}/32`] } });
    assert.equal(await probe(denied, inside, port), "blocked");
    const [, nothing] = await started({ network: "isolated", egress: { allow: [], deny: [] } });
    assert.equal(await probe(nothing, internet, port), "blocked");
    const [, noInternet] = await started({ network: "isolated", egress: { deny: [internet] } });
    assert.equal(await probe(noInternet, internet, port), "blocked");
  });

  it("bots on the bridge cannot reach each other's listener: host or isolated, even with the bridge's subnet allowed", async () => {
    const { subnet } = await target.bridge();
    const [serverSpec, server] = await started({ network: "host" });
    const { address, port } = await greeterIn(server);
    assert.equal(address, await target.ipOf(serverSpec), "the listener answers at the bot's bridge address");
    const [, open] = await started({ network: "host" });
    const [, isolated] = await started({ network: "isolated" });
    const [, allowed] = await started({ network: "isolated", egress: { allow: [subnet], deny: [] } });
    for (const [name, client] of [
      ["host", open],
      ["isolated", isolated],
      ["subnet-allowed", allowed],
    ] as const)
      assert.equal(await probe(client, address, port), "blocked", `a ${name} bot`);
    assert.equal((await open.exec("ls -A /run/botbox")).stdout.trim(), "agent.sock", "each sees only its own socket");
  });

  it("a bot has no raw sockets (no spoofing of another bot's address on the bridge), but ICMP echo sockets work", async () => {
    const script =
      'import socket\ntry:\n socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n print("raw")\nexcept PermissionError:\n print("refused")\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)\nprint("icmp")';
    for (const network of ["isolated", "host"] as const) {
      const [, client]: [ContainerSpec, AgentClient] = await started({ network });
      assert.equal(await suite.sh(client, `python3 -c '${script}'`), "refused\nicmp", network);
    }
  });

  it("the rules are in before the task starts, are rebuilt by a new instance after a flush, and leave with the bot", async () => {
    const host = await hostAddress();
    const [spec, client] = await started({ network: "isolated" });
    const ip = await target.ipOf(spec);
    const table = tableName(target.backend, (await target.bridge()).iface);
    assert.match((await nftTable(table)) ?? "", new RegExp(`${ip.replace(/\./g, "\\.")} : jump`));
    execFileSync("nft", ["delete", "table", "inet", table]);
    // A server restart: the new instance lists its bots, and the table comes back.
    const later = await target.reopen();
    try {
      await later.listContainers();
      const deadline = Date.now() + 5_000;
      while (!(await nftTable(table))?.includes(`${ip} :`) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await probe(client, host, listener.port), "blocked");
      await later.stopTask(spec.id, { timeoutMs: 2_000 });
      assert.ok(!(await nftTable(table))?.includes(`${ip} :`), "no element for a stopped bot");
      await later.deleteContainer(spec.id);
      assert.ok(!(await nftTable(table))?.includes(`${ip} :`));
    } finally {
      await later.close();
    }
  });

  it("doctor says whether isolated networking can be enforced", async () => {
    const check = (await suite.runtime.doctor()).find((entry) => entry.name === "isolated network");
    assert.ok(check?.ok, check?.detail);
    assert.match(check.detail, new RegExp(`nftables v[\\d.]+.*botbox_${target.backend}_`));
  });

  return {
    get listener() {
      return listener;
    },
  };
}
