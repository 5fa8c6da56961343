// Network isolation (issue 13 §1, §2): an isolated bot reaches the internet
// and nothing of the host, its neighbours, link-local or private ranges; its
// egress rules hold, also against root inside the bot. Each attempt is shown
// failing for an isolated bot and, where the backend allows, succeeding with
// the protection off (a host-network bot, or an allow rule), so the test can
// fail. Traffic goes only to this machine, a namespace the test made, or the
// apt mirror.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { lookup } from "node:dns/promises";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import type { ContainerRuntime, ContainerSpec, IsolationMode } from "../../packages/server/src/runtime/runtime.js";
import { findRunsc } from "../../packages/server/src/runtime/sandbox/gvisor/runsc.js";
import { botSpec, Janitor, makeHome, waitForAgent } from "../runtime/support.js";
import { openRuntime, runtimeUnavailable } from "../support/runtimes.js";
import {
  aptMirrorHost,
  connectFrom,
  hostAddress,
  hostListener,
  MetadataEndpoint,
  type SpecOverrides,
  TEST_RUNTIME,
} from "./support.js";

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;
const sandbox = TEST_RUNTIME === "sandbox";

// Every attempt again with the bots under gVisor, where the backend offers it.
const ISOLATIONS: IsolationMode[] = (await offersGvisor()) ? ["namespaces", "gvisor"] : ["namespaces"];

async function offersGvisor(): Promise<boolean> {
  if (sandbox) return findRunsc() !== undefined;
  if (!asRoot || runtimeUnavailable(TEST_RUNTIME)) return false;
  const home = await makeHome();
  try {
    const { runtime } = await openRuntime(TEST_RUNTIME, home);
    // Docker's were asked of its daemon when it was opened.
    const gvisor = runtime.capabilities?.gvisor === true;
    await runtime.close();
    return gvisor;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

for (const isolation of ISOLATIONS)
  describe(
    `network isolation (${TEST_RUNTIME}, ${isolation})`,
    { skip: !asRoot && "isolated networking needs root" },
    () => {
      let home: string;
      let runtime: ContainerRuntime;
      let image: string;
      let mirror: string;
      let mirrorAddress: string;
      let metadata: MetadataEndpoint | undefined;
      const janitor = new Janitor();
      const bots: Record<string, AgentClient> = {};
      const ids: Record<string, string> = {};

      const startBot = async (name: string, overrides: SpecOverrides): Promise<AgentClient> => {
        const spec: ContainerSpec = botSpec({ image, isolation, ...overrides });
        ids[name] = spec.id;
        janitor.track(runtime, spec.id);
        await runtime.createContainer(spec);
        await runtime.startTask(spec.id);
        return janitor.client(await waitForAgent(runtime, spec.id, 30_000));
      };

      before(async () => {
        home = await makeHome();
        ({ runtime, image } = await openRuntime(TEST_RUNTIME, home));
        mirror = await aptMirrorHost();
        mirrorAddress = (await lookup(mirror, { family: 4 })).address;
        metadata = await MetadataEndpoint.start();
        const entries = await Promise.all(
          Object.entries({
            isolated: { network: "isolated" },
            host: { network: "host" },
            none: { network: "none" },
            allowMetadata: { network: "isolated", egress: { allow: [`${MetadataEndpoint.ADDRESS}/32`], deny: [] } },
            denyMirror: { network: "isolated", egress: { deny: [mirror] } },
            nothingOutside: { network: "isolated", egress: { allow: [], deny: [] } },
          } satisfies Record<string, SpecOverrides>).map(
            async ([name, overrides]) => [name, await startBot(name, overrides)] as const,
          ),
        );
        for (const [name, client] of entries) bots[name] = client;
      });

      after(async () => {
        await janitor.cleanUp();
        await metadata?.stop();
        await rm(home, { recursive: true, force: true });
      });

      it("an isolated bot resolves names and reaches the internet (the apt mirror)", async () => {
        const resolved = await bots.isolated!.exec(`getent hosts ${mirror}`);
        assert.equal(resolved.exitCode, 0, resolved.stderr);
        assert.ok(await connectFrom(bots.isolated!, mirror, 80), "connect to the mirror by name");
      });

      it("starting isolated bots leaves the host's named network namespaces alone", async () => {
        // slirp4netns's own sandbox once unmounted them through a shared /run/netns.
        await run("ip", ["netns", "add", "bbkeep"]);
        try {
          await startBot("extra", { network: "isolated" });
          await run("ip", ["-n", "bbkeep", "link", "show", "lo"]);
        } finally {
          await run("ip", ["netns", "del", "bbkeep"]);
        }
      });

      it("an isolated bot has its own loopback and network namespace", async () => {
        const server = await bots.isolated!.exec(
          `node -e "const s=require('net').createServer(c=>c.end('own')).listen(7411,'127.0.0.1',()=>require('net').connect(7411,'127.0.0.1').on('data',d=>{console.log(String(d));s.close()}))"`,
        );
        assert.equal(server.stdout.trim(), "own");
        const addresses = (await bots.isolated!.exec("cat /proc/net/fib_trie")).stdout;
        assert.doesNotMatch(
          addresses,
          new RegExp(`\\b${hostAddress().replace(/\./g, "\\.")}\\b`),
          "the host's address is not the bot's",
        );
      });

      it("cannot reach a service on the host's address; a host-network bot can", async () => {
        const listener = await hostListener("0.0.0.0");
        try {
          assert.equal(await connectFrom(bots.isolated!, hostAddress(), listener.port), false);
          if (sandbox) assert.equal(await connectFrom(bots.host!, hostAddress(), listener.port), true);
        } finally {
          await listener.close();
        }
      });

      it("cannot reach the host's loopback services, through the gateway or otherwise; a host-network bot can", async () => {
        const listener = await hostListener("127.0.0.1");
        try {
          const gateway = await defaultGateway(bots.isolated!);
          assert.ok(gateway, "the isolated bot has a default route");
          for (const target of [gateway, "127.0.0.1", "10.0.2.2"])
            assert.equal(await connectFrom(bots.isolated!, target, listener.port), false, `reached ${target}`);
          if (sandbox) assert.equal(await connectFrom(bots.host!, "127.0.0.1", listener.port), true);
        } finally {
          await listener.close();
        }
      });

      it("cannot reach the metadata endpoint 169.254.169.254 unless allowed; a host-network bot can", async () => {
        assert.equal(await connectFrom(bots.isolated!, MetadataEndpoint.ADDRESS, 80), false);
        assert.equal(
          await connectFrom(bots.allowMetadata!, MetadataEndpoint.ADDRESS, 80),
          true,
          "an allow rule opens it",
        );
        if (sandbox) assert.equal(await connectFrom(bots.host!, MetadataEndpoint.ADDRESS, 80), true);
      });

      it("an allow-list admits only what it names", async () => {
        assert.equal(await connectFrom(bots.allowMetadata!, mirrorAddress, 80), false, "the mirror is not on the list");
        assert.equal(
          await connectFrom(bots.isolated!, mirrorAddress, 80),
          true,
          "without a list the mirror is reachable",
        );
      });

      it("a denied host name is refused by address, while the default reaches it", async () => {
        assert.equal(await connectFrom(bots.denyMirror!, mirrorAddress, 80), false);
        assert.equal(await connectFrom(bots.denyMirror!, mirror, 80), false);
        assert.equal(await connectFrom(bots.isolated!, mirrorAddress, 80), true);
      });

      it("allow: [] leaves nothing outside, not even the resolver", async () => {
        assert.equal(await connectFrom(bots.nothingOutside!, mirrorAddress, 80), false);
        assert.notEqual((await bots.nothingOutside!.exec(`timeout 5 getent hosts ${mirror}`)).exitCode, 0);
      });

      it("another bot's server on the host is out of reach of an isolated bot", async () => {
        const port = 7412;
        const serving = await bots.host!.exec(
          `nohup timeout 60 node -e "require('net').createServer(c=>c.end('bot')).listen(${port},'0.0.0.0')" >/dev/null 2>&1 & sleep 0.5; echo started`,
        );
        assert.equal(serving.exitCode, 0);
        const targets = sandbox ? [hostAddress(), "127.0.0.1"] : [hostAddress()];
        for (const target of targets)
          assert.equal(await connectFrom(bots.isolated!, target, port), false, `reached ${target}`);
        if (sandbox)
          assert.equal(await connectFrom(bots.host!, "127.0.0.1", port), true, "the neighbour's server is up");
        await bots.host!.exec(`pkill -f 'listen\\(${port}' || true`);
      });

      it(
        "root in an isolated bot cannot lift its rules or reconfigure its network; the host sees them intact",
        { skip: !sandbox && "the sandbox image carries nft and ip" },
        async () => {
          const listener = await hostListener("0.0.0.0");
          try {
            for (const command of [
              "nft flush ruleset",
              "ip link set tap0 down",
              "ip route del default",
              "ip link set lo down",
            ]) {
              const result = await bots.isolated!.exec(command);
              assert.notEqual(result.exitCode, 0, `${command} succeeded in an isolated bot`);
            }
            // A raw socket would carry packets past the rules; it is refused.
            const raw = await bots.isolated!.exec(
              `python3 -c "import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)" 2>&1 || echo refused`,
            );
            assert.match(raw.stdout, /refused|Operation not permitted/);
            assert.equal(await connectFrom(bots.isolated!, hostAddress(), listener.port), false);
            // The rules are still there, seen from the host, which owns the namespace.
            const pid = (await runtime.taskInfo(ids.isolated!)).pid!;
            const { stdout } = await run("nsenter", [
              `--net=/proc/${pid}/ns/net`,
              "nft",
              "list",
              "table",
              "inet",
              "botbox",
            ]);
            assert.match(stdout, /ip daddr @blocked4 jump refuse/);
            assert.match(
              (await run("nsenter", [`--net=/proc/${pid}/ns/net`, "ip", "link", "show", "tap0"])).stdout,
              /UP/,
            );
          } finally {
            await listener.close();
          }
        },
      );
    },
  );

/** The bot's default gateway, from /proc/net/route (no tools needed in the image). */
async function defaultGateway(client: AgentClient): Promise<string | undefined> {
  const table = (await client.exec("cat /proc/net/route")).stdout;
  for (const line of table.split("\n").slice(1)) {
    const [, destination, gateway] = line.trim().split(/\s+/);
    if (destination === "00000000" && gateway) {
      const value = parseInt(gateway, 16);
      return [0, 8, 16, 24].map((shift) => (value >>> shift) & 255).join(".");
    }
  }
  return undefined;
}
