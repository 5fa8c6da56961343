import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { connectivityState } from "@grpc/grpc-js";

import { AgentClient, type AgentEndpoint, AgentPool } from "../../packages/server/src/client/index.js";
import { IdentityMismatchError, UnavailableError } from "../../packages/server/src/errors.js";
import { type AgentProcess, startAgentProcess } from "../support/agent-process.js";
import { sharedAgentProcess } from "../support/shared-agent.js";

/** A pool over fixed endpoints that counts the channels it opens. */
function countingPool(
  endpoints: Map<string, AgentEndpoint>,
  extra: Partial<ConstructorParameters<typeof AgentPool>[0]> = {},
) {
  const dialed: AgentClient[] = [];
  const pool = new AgentPool({
    resolveEndpoint: (botId) => endpoints.get(botId),
    createClient: (endpoint) => {
      const client = new AgentClient(endpoint);
      dialed.push(client);
      return client;
    },
    ...extra,
  });
  return { pool, dialed };
}

/** Resolves when the client's channel reaches `target`, told by gRPC's own state watch; fails after `timeoutMs`. */
function reachesState(client: AgentClient, target: connectivityState, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const look = (error?: Error) => {
      if (error) return reject(new Error(`the channel is not ${connectivityState[target]} after ${timeoutMs} ms`));
      const state = client.connectivityState();
      if (state === target) return resolve();
      client.watchConnectivity(state, deadline, look);
    };
    look();
  });
}

describe("AgentPool", () => {
  let agentA: AgentProcess;
  let agentB: AgentProcess;
  let socketDir: string;

  before(async () => {
    socketDir = await mkdtemp(path.join(tmpdir(), "botbox-pool-"));
    [agentA, agentB] = await Promise.all([sharedAgentProcess(), sharedAgentProcess({ transport: "tcp" })]);
  });
  after(async () => {
    await Promise.all([agentA.stop(), agentB.stop()]);
    await rm(socketDir, { recursive: true, force: true });
  });

  it("reuses a healthy channel", async () => {
    const { pool, dialed } = countingPool(new Map([[agentA.botId, { address: agentA.address }]]));
    const first = await pool.get(agentA.botId);
    const second = await pool.agentFor(agentA.botId);
    assert.equal(first, second);
    assert.equal(dialed.length, 1);
    assert.equal((await second.info()).botId, agentA.botId);
    pool.closeAll();
  });

  it("concurrent gets for one bot end with a single cached channel", async () => {
    const { pool, dialed } = countingPool(new Map([[agentA.botId, { address: agentA.address }]]));
    const clients = await Promise.all(Array.from({ length: 32 }, () => pool.get(agentA.botId)));
    assert.equal(new Set(clients).size, 1);
    assert.equal(dialed.length, 1);
    assert.equal(pool.size, 1);
    pool.closeAll();
  });

  it("keeps one channel per bot", async () => {
    const { pool } = countingPool(
      new Map([
        [agentA.botId, { address: agentA.address }],
        [agentB.botId, { address: agentB.address }],
      ]),
    );
    const [a, b] = await Promise.all([pool.get(agentA.botId), pool.get(agentB.botId)]);
    assert.notEqual(a, b);
    assert.equal((await a.info()).botId, agentA.botId);
    assert.equal((await b.info()).botId, agentB.botId);
    assert.equal(pool.size, 2);
    pool.closeAll();
    assert.equal(pool.size, 0);
    assert.equal(a.connectivityState(), connectivityState.SHUTDOWN);
  });

  it("fails with UnavailableError when a bot has no endpoint", async () => {
    const { pool } = countingPool(new Map());
    await assert.rejects(pool.get("ghost"), (error: unknown) => {
      assert.ok(error instanceof UnavailableError);
      assert.equal(error.message, "no agent endpoint for bot ghost");
      return true;
    });
  });

  it("never hands out a channel that reaches another bot's agent", async () => {
    const { pool, dialed } = countingPool(new Map([["bot-x", { address: agentA.address }]]));
    await assert.rejects(pool.get("bot-x"), IdentityMismatchError);
    assert.equal(pool.size, 0);
    assert.equal(dialed[0]?.connectivityState(), connectivityState.SHUTDOWN);
  });

  it("setEndpoint evicts only when the endpoint changed", async () => {
    const { pool, dialed } = countingPool(new Map([[agentA.botId, { address: agentA.address }]]));
    const first = await pool.get(agentA.botId);
    pool.setEndpoint(agentA.botId, { address: agentA.address });
    assert.equal(await pool.get(agentA.botId), first);
    pool.setEndpoint(agentA.botId, { address: agentA.address, token: "rotated" });
    assert.equal(first.connectivityState(), connectivityState.SHUTDOWN);
    const second = await pool.get(agentA.botId);
    assert.notEqual(second, first);
    assert.equal(second.endpoint.token, "rotated");
    assert.equal(dialed.length, 2);
    pool.closeAll();
  });

  it("remove closes the channel and the next get dials again", async () => {
    const { pool, dialed } = countingPool(new Map([[agentA.botId, { address: agentA.address }]]));
    const first = await pool.get(agentA.botId);
    pool.remove(agentA.botId);
    assert.equal(pool.size, 0);
    assert.equal(first.connectivityState(), connectivityState.SHUTDOWN);
    const second = await pool.get(agentA.botId);
    assert.notEqual(second, first);
    assert.equal(dialed.length, 2);
    pool.closeAll();
  });

  it("a remove during a dial discards the dialled channel", async () => {
    const { pool, dialed } = countingPool(new Map([[agentA.botId, { address: agentA.address }]]));
    const pending = pool.get(agentA.botId);
    pool.remove(agentA.botId);
    const client = await pending;
    assert.equal(dialed.length, 2, "the raced dial is replaced by a fresh one");
    assert.equal(dialed[0]?.connectivityState(), connectivityState.SHUTDOWN);
    assert.equal(client, dialed[1]);
    pool.closeAll();
  });

  it("evicts a channel in TRANSIENT_FAILURE and dials the bot's new endpoint", async () => {
    const socketPath = path.join(socketDir, "restarting.sock");
    const first = await startAgentProcess({ socketPath, botId: "bot-restart" });
    const endpoints = new Map([["bot-restart", { address: first.address }]]);
    const { pool, dialed } = countingPool(endpoints);
    const original = await pool.get("bot-restart");
    await first.stop();
    await assert.rejects(original.info(), UnavailableError);
    await reachesState(original, connectivityState.TRANSIENT_FAILURE);
    const second = await startAgentProcess({ botId: "bot-restart" });
    try {
      endpoints.set("bot-restart", { address: second.address });
      const replacement = await pool.get("bot-restart");
      assert.notEqual(replacement, original);
      assert.equal(original.connectivityState(), connectivityState.SHUTDOWN);
      assert.equal((await replacement.info()).botId, "bot-restart");
      assert.equal(dialed.length, 2);
    } finally {
      pool.closeAll();
      await second.stop();
    }
  });

  it("re-verifies after a reconnect, so another bot's agent on the same socket is never used", async () => {
    const socketPath = path.join(socketDir, "reused.sock");
    const first = await startAgentProcess({ socketPath, botId: "bot-first" });
    const { pool } = countingPool(new Map([["bot-first", { address: first.address }]]));
    await pool.get("bot-first");
    await first.stop();
    const impostor = await startAgentProcess({ socketPath, botId: "bot-impostor" });
    try {
      await assert.rejects(pool.get("bot-first"), IdentityMismatchError);
      assert.equal(pool.size, 0);
    } finally {
      pool.closeAll();
      await impostor.stop();
    }
  });

  it("checks a channel stuck connecting within the threshold, and replaces one stuck past it without a check", async () => {
    // A connect that hangs cannot be produced on loopback, so this injects the
    // fault: once stuck, a channel reports CONNECTING (and tells the pool's
    // watch, as gRPC does), and its Info fails as a call on a dead route does
    // at its deadline. The pool's clock is the test's: the threshold passes
    // without being waited for.
    class StuckClient extends AgentClient {
      stuck = false;
      infoWhileStuck = 0;
      private watcher: (() => void) | undefined;
      becomeStuck(): void {
        this.stuck = true;
        const watcher = this.watcher;
        this.watcher = undefined;
        watcher?.();
      }
      override connectivityState(tryToConnect = false): connectivityState {
        return this.stuck ? connectivityState.CONNECTING : super.connectivityState(tryToConnect);
      }
      // The real channel stays READY, so gRPC's watch would never fire: becomeStuck fires this one.
      override watchConnectivity(_from: connectivityState, _deadline: Date | number, callback: () => void): void {
        this.watcher = callback;
      }
      override async info(call?: { timeoutMs?: number }) {
        if (!this.stuck) return super.info(call);
        this.infoWhileStuck++;
        throw new UnavailableError("deadline exceeded while connecting");
      }
    }
    let clock = 1_000_000;
    const dialed: StuckClient[] = [];
    const pool = new AgentPool({
      resolveEndpoint: () => ({ address: agentA.address }),
      stuckConnectingMs: 30_000,
      now: () => clock,
      createClient: (endpoint) => {
        const client = new StuckClient(endpoint);
        dialed.push(client);
        return client;
      },
    });
    // Connecting for less than the threshold: the pool checks the channel it has, and dials nothing.
    await pool.get(agentA.botId);
    dialed[0]!.becomeStuck();
    clock += 29_999;
    await assert.rejects(pool.get(agentA.botId), UnavailableError);
    assert.equal(dialed[0]!.infoWhileStuck, 1);
    assert.equal(dialed.length, 1);
    // That failed check dropped the channel: the next get dials a new one.
    const second = await pool.get(agentA.botId);
    assert.equal(dialed.length, 2);
    // Connecting for the whole threshold: replaced at once, with no check that would wait for its deadline.
    dialed[1]!.becomeStuck();
    clock += 30_000;
    const third = await pool.get(agentA.botId);
    assert.notEqual(third, second);
    assert.equal(dialed[1]!.infoWhileStuck, 0, "a channel stuck past the threshold is not checked first");
    assert.equal(dialed.length, 3);
    assert.equal((await third.info()).botId, agentA.botId);
    pool.closeAll();
  });
});
