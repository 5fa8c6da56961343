// Processes on a pseudo-terminal: the size given at start and on resize is
// what the program sees, input goes through the terminal's line discipline
// (Ctrl-C interrupts, Ctrl-D ends input), and output is one stream.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { collect, outputContains, startSupervisedAgent, type SupervisedAgent } from "./processes-support.js";

describe("processes on a PTY", { timeout: 60_000 }, () => {
  let box: SupervisedAgent;

  before(async () => {
    box = await startSupervisedAgent();
  });

  after(async () => {
    await box?.stop();
  });

  it("runs on a terminal of the given size, with TERM set, output as one pty stream", async () => {
    const started = await box.client.start(
      { shell: 'test -t 0 && test -t 1 && echo on-a-tty; stty size; echo "$TERM"; echo err >&2' },
      { pty: { cols: 100, rows: 30 } },
    );
    assert.deepEqual(started.pty, { cols: 100, rows: 30 });
    const output = await collect(box.client, { id: started.id });
    assert.equal(output.text, "on-a-tty\r\n30 100\r\nxterm-256color\r\nerr\r\n");
    assert.ok(output.events.every((event) => event.type !== "output" || event.stream === "pty"));
    assert.equal(output.exit?.exitCode, 0);
  });

  it("resizes: the program gets SIGWINCH and sees the new size", async () => {
    const started = await box.client.start(
      { shell: "trap 'stty size' WINCH; echo ready; while :; do sleep 0.05; done" },
      { pty: { cols: 80, rows: 24 } },
    );
    assert.ok(await outputContains(box.client, { id: started.id }, "ready"));
    await box.client.resize({ id: started.id }, { cols: 132, rows: 43 });
    assert.ok(await outputContains(box.client, { id: started.id }, "43 132\r\n"));
    await box.client.signal({ id: started.id }, "KILL");
    assert.equal((await box.client.wait({ id: started.id }, 5_000)).signal, "SIGKILL");
  });

  it("Ctrl-C in the input interrupts the program in the foreground", async () => {
    // Ctrl-C signals the terminal's foreground group, so it is sent once the
    // program runs there: a ^C typed before the child owns the terminal is
    // plain input (seen under load: the wait below then timed out).
    const started = await box.client.start({ shell: "echo ready; exec sleep 300" }, { pty: { cols: 80, rows: 24 } });
    assert.ok(await outputContains(box.client, { id: started.id }, "ready"));
    await box.client.sendInput({ id: started.id }, "\x03");
    const done = await box.client.wait({ id: started.id }, 5_000);
    assert.equal(done.signal, "SIGINT");
    assert.equal(done.exitCode, 130);
  });

  it("closing the input is Ctrl-D: the program reads end of input", async () => {
    const started = await box.client.start({ argv: ["cat"] }, { pty: { cols: 80, rows: 24 } });
    await box.client.sendInput({ id: started.id }, "typed\n");
    await box.client.closeInput({ id: started.id });
    const output = await collect(box.client, { id: started.id });
    // The terminal echoes the line, then cat writes it back.
    assert.equal(output.text, "typed\r\ntyped\r\n");
    assert.equal(output.exit?.exitCode, 0);
  });

  it("a missing program on a PTY exits 127 with the reason on the terminal", async () => {
    const started = await box.client.start({ argv: ["no-such-program-here"] }, { pty: { cols: 80, rows: 24 } });
    const output = await collect(box.client, { id: started.id });
    assert.match(output.text, /no-such-program-here: No such file or directory/);
    assert.equal(output.exit?.exitCode, 127);
  });
});
