// A host server restart with 50 running bots: from spawning a new `botbox
// serve` until every bot answers an HTTP exec of `true` (the server
// re-attaches to the running sandboxes; none is restarted), vs the same
// restart of a server with no bots, measured the same way (spawn until
// /ready). Goal: < 2 s until all 50 answer.
import path from "node:path";

import { type BotboxServer, startBotboxServer } from "../test/support/botbox-server.js";
import {
  type Figure,
  forEachLimit,
  homeScratchDir,
  type Host,
  mb,
  ms,
  percentile,
  processMemory,
  removeSandboxes,
  report,
  startHost,
  time,
} from "./support.js";

const BOTS = Number(process.env.BENCH_BOTS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function call(server: BotboxServer, method: string, route: string, body?: unknown) {
  const response = await server.api(method, route, body);
  if (response.status >= 300)
    throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as Record<string, unknown>;
}

export async function benchReattach(): Promise<Figure> {
  const scratch = await homeScratchDir("reattach");
  const home = path.join(scratch, "h");
  const emptyHome = path.join(scratch, "e");
  const servers = new Set<BotboxServer>();
  const hosts = new Set<Host>();
  const serve = async (serverHome: string) => {
    const server = await startBotboxServer({ home: serverHome });
    servers.add(server);
    return server;
  };
  const stop = async (server: BotboxServer) => {
    await server.stop();
    servers.delete(server);
  };
  const ids = Array.from({ length: BOTS }, (_, i) => `reattach-${i}`);
  try {
    let server = await serve(home);
    await forEachLimit(ids, 4, async (id) => {
      await call(server, "POST", "/bots", { id, name: id });
      await call(server, "POST", `/bots/${id}/container`);
    });
    const pids = new Map<string, unknown>();
    for (const id of ids) pids.set(id, (await call(server, "GET", `/bots/${id}/container`)).pid);
    await stop(server);
    // The empty server's first start creates its database and admin token: not timed.
    await stop(await serve(emptyHome));

    const subject: number[] = [];
    const ready: number[] = [];
    const baseline: number[] = [];
    let serverMemory = "";
    let emptyMemory = "";
    for (let round = 0; round < ROUNDS; round++) {
      let readyAt = 0;
      subject.push(
        await time(async () => {
          const started = Date.now();
          server = await serve(home);
          readyAt = Date.now() - started;
          await Promise.all(
            ids.map(async (id) => {
              const result = await call(server, "POST", `/bots/${id}/container/exec`, { command: "true" });
              if (result.exit_code !== 0) throw new Error(`exec in ${id}: ${JSON.stringify(result)}`);
            }),
          );
        }),
      );
      ready.push(readyAt);
      const reconciled = server.logs.find((entry) => entry.msg === "reconciled bots") as
        { reattached: string[]; restarted: string[]; failed: string[] } | undefined;
      if (reconciled?.reattached.length !== BOTS)
        throw new Error(`the restarted server did not re-attach all bots: ${JSON.stringify(reconciled)}`);
      for (const id of ids) {
        const { pid } = await call(server, "GET", `/bots/${id}/container`);
        if (pid !== pids.get(id)) throw new Error(`${id} was restarted (pid ${pids.get(id)} -> ${pid})`);
      }
      if (round === ROUNDS - 1) serverMemory = mb((await processMemory(server.child.pid!)).rss);
      await stop(server);

      let empty: BotboxServer | undefined;
      baseline.push(await time(async () => void (empty = await serve(emptyHome))));
      if (round === ROUNDS - 1) emptyMemory = mb((await processMemory(empty!.child.pid!)).rss);
      await stop(empty!);
    }

    // The same re-attach without the server process: a new runtime, store and
    // manager in this process on the same home, reconcile(), then Info on each.
    const inProcess: number[] = [];
    const inProcessBaseline: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let host: Host | undefined;
      inProcess.push(
        await time(async () => {
          host = await startHost(home);
          hosts.add(host);
          const { reattached } = await host.manager.reconcile();
          if (reattached.length !== BOTS) throw new Error(`reconcile re-attached ${reattached.length} bots`);
          await Promise.all(ids.map(async (id) => (await host!.manager.agentFor(id)).info()));
        }),
      );
      // The bots keep running for the next round.
      await host!.detach();
      hosts.delete(host!);
      inProcessBaseline.push(
        await time(async () => {
          host = await startHost(emptyHome);
          hosts.add(host);
          await host.manager.reconcile();
        }),
      );
      await host!.detach();
      hosts.delete(host!);
    }

    // Stops and deletes the bots through a manager, as the server would.
    const cleaner = await startHost(home);
    hosts.add(cleaner);
    await cleaner.close();
    hosts.delete(cleaner);

    const p50 = percentile(subject, 50);
    const summary = (samples: number[]) => `p50 ${ms(percentile(samples, 50))} (max ${ms(Math.max(...samples))})`;
    console.log(
      `reattach: new botbox serve until all ${BOTS} bots answer exec ${summary(subject)}, ${ROUNDS} restarts`,
    );
    console.log(`reattach:   of which spawn until /ready (re-attach done) ${summary(ready)}`);
    console.log(`reattach: baseline botbox serve with no bots, spawn until /ready ${summary(baseline)}`);
    console.log(
      `reattach: in-process new runtime + store + manager, reconcile() and Info on all ${BOTS} ${summary(inProcess)}; with no bots ${summary(inProcessBaseline)}`,
    );
    console.log(`reattach: server RSS with ${BOTS} bots attached ${serverMemory}, with none ${emptyMemory}`);
    return report({
      bench: "reattach",
      figure: `${BOTS} bots answer ${ms(p50)} after the new server's spawn (/ready at ${ms(percentile(ready, 50))}); server with no bots ready in ${ms(percentile(baseline, 50))}; server RSS ${serverMemory} (no bots: ${emptyMemory}); in-process re-attach ${ms(percentile(inProcess, 50))} (no bots: ${ms(percentile(inProcessBaseline, 50))})`,
      ratio: p50 / percentile(baseline, 50),
      goal: "< 2 s",
      met: p50 < 2000,
    });
  } finally {
    for (const server of servers) await server.stop();
    for (const host of hosts) await host.close();
    let left = 0;
    for (const folder of [home, emptyHome, scratch]) left += await removeSandboxes(folder);
    if (left > 0) console.error(`reattach: ${left} sandboxes were left and removed`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchReattach();
