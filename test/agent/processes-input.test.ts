// The supervisor refuses bad input with a status naming what was wrong,
// holds to its bounds (running processes, finished ones kept, pending
// input), and answers only calls that carry the agent's token.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { collect, startSupervisedAgent, type SupervisedAgent } from "./processes-support.js";
import { bearer, rejectsWithCode, status } from "./support.js";

const TOKEN = "process-token";

describe("process supervisor: bad input", { timeout: 60_000 }, () => {
  let box: SupervisedAgent;
  let sleeperId: string;
  let finishedId: string;

  before(async () => {
    box = await startSupervisedAgent({ token: TOKEN });
    sleeperId = (await box.client.start({ argv: ["sleep", "300"] }, { tag: "sleeper" })).id;
    finishedId = (await box.client.start({ argv: ["true"] })).id;
    await box.client.wait({ id: finishedId }, 5_000);
  });

  after(async () => {
    await box?.stop();
  });

  it("names an unknown or malformed id and an unknown or malformed tag", async () => {
    const { raw } = box;
    await rejectsWithCode(raw.get({ id: "0123456789ab" }), status.NOT_FOUND, /no process with id "0123456789ab"/);
    await rejectsWithCode(raw.get({ id: "../../etc" }), status.NOT_FOUND, /no process with id/);
    await rejectsWithCode(raw.get({ tag: "nobody" }), status.NOT_FOUND, /no process with tag "nobody"/);
    await rejectsWithCode(raw.get({ tag: "a b" }), status.INVALID_ARGUMENT, /tag must be 1 to 64/);
    await rejectsWithCode(raw.get({}), status.INVALID_ARGUMENT, /an id or a tag is required/);
    await rejectsWithCode(raw.get({ id: sleeperId, tag: "sleeper" }), status.INVALID_ARGUMENT, /not both/);
  });

  it("refuses a start without exactly one command, with a bad folder, env, size or cap, or a program that does not exist", async () => {
    const { raw } = box;
    await rejectsWithCode(raw.start({}), status.INVALID_ARGUMENT, /exactly one of argv and shell/);
    await rejectsWithCode(raw.start({ argv: ["true"], shell: "true" }), status.INVALID_ARGUMENT, /exactly one/);
    await rejectsWithCode(raw.start({ argv: ["a\0b"] }), status.INVALID_ARGUMENT, /NUL/);
    await rejectsWithCode(
      raw.start({ shell: "true", cwd: "/no/such/folder" }),
      status.INVALID_ARGUMENT,
      /cwd: .*no such file/,
    );
    await rejectsWithCode(
      raw.start({ shell: "true", env: ["NOEQUALS"] }),
      status.INVALID_ARGUMENT,
      /env\[0\] must be KEY=VALUE/,
    );
    await rejectsWithCode(
      raw.start({ shell: "true", pty: { cols: -5, rows: 24 } }),
      status.INVALID_ARGUMENT,
      /pty.cols must be from 1 to 1000, got -5/,
    );
    await rejectsWithCode(
      raw.start({ shell: "true", outputLimitBytes: -1 }),
      status.INVALID_ARGUMENT,
      /output_limit_bytes/,
    );
    await rejectsWithCode(
      raw.start({ shell: "true", outputLimitBytes: 2 ** 50 }),
      status.INVALID_ARGUMENT,
      /output_limit_bytes/,
    );
    await rejectsWithCode(
      raw.start({ argv: ["no-such-program-here"] }),
      status.INVALID_ARGUMENT,
      /argv\[0\] "no-such-program-here": cannot be run \(ENOENT\)/,
    );
    await rejectsWithCode(
      raw.start({ shell: "true", tag: "sleeper" }),
      status.ALREADY_EXISTS,
      /already has the tag "sleeper"/,
    );
  });

  it("refuses a bad signal, a signal or input to a finished process, and a resize without a PTY", async () => {
    const { client } = box;
    await assert.rejects(client.signal({ id: sleeperId }, "SIGNOPE"), /signal "SIGNOPE" is not a signal name/);
    await assert.rejects(client.signal({ id: finishedId }, "TERM"), /is exited/);
    await assert.rejects(client.sendInput({ id: finishedId }, "x"), /is exited/);
    await assert.rejects(client.resize({ id: sleeperId }, { cols: 80, rows: 24 }), /has no PTY/);
    await assert.rejects(
      client.resize({ id: sleeperId }, { cols: 80, rows: -1 }),
      /size.rows must be from 1 to 1000, got -1/,
    );
  });

  it("refuses more than 1 MiB of input in one call, and input past 1 MiB waiting for a process that does not read", async () => {
    const { client } = box;
    await assert.rejects(client.sendInput({ id: sleeperId }, Buffer.alloc(2 ** 20 + 1)), /at most 1048576 per call/);
    // sleep never reads: the pipe takes 64 KiB, the keeper holds 1 MiB more, then refuses.
    let refused: unknown;
    for (let call = 0; call < 4 && refused === undefined; call++) {
      await client.sendInput({ id: sleeperId }, Buffer.alloc(512 * 1024)).catch((error: unknown) => (refused = error));
    }
    assert.match(String(refused), /is not reading its input/);
  });

  it("refuses a wait bound out of range and an attach offset past the output or below zero", async () => {
    const { client, raw } = box;
    await assert.rejects(client.wait({ id: sleeperId }, 600_001), /timeout_ms must be from 0 to 600000/);
    await rejectsWithCode(
      raw.attach({ process: { id: finishedId, tag: "" }, offset: 5, follow: true }),
      status.INVALID_ARGUMENT,
      /offset 5 is past the end of the output \(0 bytes\)/,
    );
    await rejectsWithCode(
      raw.attach({ process: { id: sleeperId, tag: "" }, offset: 5, follow: true }),
      status.INVALID_ARGUMENT,
      /offset 5 is past the end/,
    );
    await rejectsWithCode(
      raw.attach({ process: { id: sleeperId, tag: "" }, offset: -1, follow: true }),
      status.INVALID_ARGUMENT,
      /offset must be 0 or more/,
    );
  });

  it("refuses every call without the token and starts nothing; the same call with it works", async () => {
    const { raw, client } = box;
    const before = (await client.list()).length;
    await rejectsWithCode(raw.start({ argv: ["true"] }, bearer()), status.UNAUTHENTICATED);
    await rejectsWithCode(raw.start({ argv: ["true"] }, bearer("wrong")), status.UNAUTHENTICATED);
    await rejectsWithCode(raw.call(raw.client.list, { tag: "" }, bearer()), status.UNAUTHENTICATED);
    assert.equal((await client.list()).length, before);
    const started = await raw.start({ argv: ["true"] }, bearer(TOKEN));
    assert.ok(started.id);
  });

  it("gives neither the process nor its keeper the agent's token", async () => {
    const { client } = box;
    // The shell's parent is its keeper.
    const started = await client.start({
      shell: 'echo "${BOTBOX_AGENT_TOKEN-unset}"; tr "\\0" "\\n" < /proc/$PPID/environ | grep -c BOTBOX_AGENT_TOKEN',
    });
    const output = await collect(client, { id: started.id });
    assert.equal(output.text, "unset\n0\n");
  });
});

describe("process supervisor: bounds", { timeout: 60_000 }, () => {
  let box: SupervisedAgent;

  before(async () => {
    box = await startSupervisedAgent({
      env: { BOTBOX_PROCESS_MAX_RUNNING: "2", BOTBOX_PROCESS_KEEP_FINISHED: "2" },
    });
  });

  after(async () => {
    await box?.stop();
  });

  it("refuses a start past the running-process limit until one ends", async () => {
    const { client } = box;
    const first = await client.start({ argv: ["sleep", "300"] });
    await client.start({ argv: ["sleep", "300"] });
    await assert.rejects(client.start({ argv: ["true"] }), /2 processes are running, the most allowed/);
    await client.signal({ id: first.id }, "KILL");
    await client.wait({ id: first.id }, 5_000);
    const third = await client.start({ argv: ["true"] });
    assert.ok(third.id);
    await client.wait({ id: third.id }, 5_000);
  });

  it("keeps only the newest finished processes", async () => {
    const { client } = box;
    const ids: string[] = [];
    for (let index = 0; index < 4; index++) {
      const started = await client.start({ shell: `exit ${index}` });
      await client.wait({ id: started.id }, 5_000);
      ids.push(started.id);
    }
    const finished = (await client.list()).filter((process) => process.status !== "running");
    assert.deepEqual(
      finished.map((process) => process.id),
      ids.slice(2),
    );
    await assert.rejects(client.get({ id: ids[0]! }), /no process with id/);
  });
});
