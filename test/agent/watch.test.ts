// The file watch over a real agent process (docs/watch.md): created,
// modified, deleted and renamed; recursive into folders made later; a
// client that never reads gets one `dropped` marker instead of growing the
// agent's memory; paths outside the watchable folders refused; bad input.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { appendFile, mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import { type ClientReadableStream, credentials, type ServiceError, status } from "@grpc/grpc-js";

import {
  ChangeType,
  EntryKind,
  type FileChange,
  FileWatchServiceClient,
  type WatchEvent,
  WatchRequest,
} from "../../proto/src/gen/watch.js";
import { type AgentProcess, startAgentProcess } from "../support/agent-process.js";
import { SHARED_AGENT_TOKEN, sharedAgentProcess } from "../support/shared-agent.js";
import { bearer } from "./support.js";

const TOKEN = SHARED_AGENT_TOKEN;
const run = promisify(execFile);

interface Change {
  type: string;
  path: string;
  from?: string;
  kind: string;
}

/** One Watch call, its events as they come, and waits on them by deadline. */
class OpenWatch {
  readonly events: WatchEvent[] = [];
  readonly ended: Promise<ServiceError | undefined>;
  #waiters = new Set<() => void>();

  constructor(readonly call: ClientReadableStream<WatchEvent>) {
    call.on("data", (event: WatchEvent) => {
      this.events.push(event);
      if (event.event?.$case === "change") this.changes.push(changeOf(event.event.value));
      for (const wake of this.#waiters) wake();
    });
    this.ended = new Promise((resolve) => {
      call.on("error", (error: ServiceError) => resolve(error));
      call.on("end", () => resolve(undefined));
    });
  }

  /** The change events so far, readable; built as they come (a flood is thousands). */
  readonly changes: Change[] = [];

  /** Resolves once `test` holds for the events so far; fails after `ms`. */
  async until(test: (watch: OpenWatch) => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test(this)) {
      const left = deadline - Date.now();
      if (left <= 0)
        assert.fail(
          `timed out waiting for ${what}; got ${this.changes.length} changes, the last ${JSON.stringify(this.changes.slice(-5))}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          // After the events that came with this one: tested once per batch, not per event.
          setImmediate(resolve);
        };
        this.#waiters.add(wake);
      });
    }
  }

  has(change: Partial<Change>): boolean {
    // The fields to match, taken apart once: `until` asks again at every event,
    // and a flood is thousands of events (as written first, Object.entries per
    // event seen made the flood test cost 1.3 s of CPU).
    const wanted = Object.entries(change) as [keyof Change, string][];
    return this.changes.some((seen) => wanted.every(([key, value]) => seen[key] === value));
  }

  async ready(): Promise<void> {
    await Promise.race([
      this.until((watch) => watch.events[0]?.event?.$case === "ready", "ready"),
      this.ended.then((error) => assert.fail(`the watch ended before ready: ${error?.details}`)),
    ]);
  }

  cancel(): void {
    this.call.cancel();
  }
}

function changeOf(change: FileChange): Change {
  const type = ChangeType[change.type].replace("CHANGE_TYPE_", "").toLowerCase();
  return {
    type,
    path: change.path,
    ...(change.fromPath ? { from: change.fromPath } : {}),
    kind: kindName(change.kind),
  };
}

function kindName(kind: EntryKind): string {
  return EntryKind[kind].replace("ENTRY_KIND_", "").toLowerCase();
}

describe("file watch", { timeout: 120_000 }, () => {
  let agent: AgentProcess;
  let client: FileWatchServiceClient;
  let outside: string;
  const opened: OpenWatch[] = [];

  const watch = (request: Partial<WatchRequest>, on = client, token: string | undefined = TOKEN) => {
    const opening = new OpenWatch(on.watch(WatchRequest.fromPartial(request), bearer(token)));
    opened.push(opening);
    return opening;
  };
  const inData = (...parts: string[]) => path.join(agent.dataDir, ...parts);
  /** The status a watch that must fail ends with. */
  const refused = async (request: Partial<WatchRequest>, on = client, token?: string) => {
    const error = await watch(request, on, token).ended;
    assert.ok(error, "the watch was refused");
    return error;
  };

  before(async () => {
    outside = await mkdtemp(path.join(tmpdir(), "botbox-watch-outside-"));
    agent = await sharedAgentProcess({ token: TOKEN });
    await mkdir(agent.dataDir, { recursive: true });
    client = new FileWatchServiceClient(agent.address, credentials.createInsecure());
  });
  after(async () => {
    for (const open of opened) open.cancel();
    client?.close();
    await agent?.stop();
    await rm(outside, { recursive: true, force: true });
  });

  it("reports created, modified, renamed and deleted files with their kind and time", async () => {
    await mkdir(inData("plain"));
    const plain = watch({ path: "plain" });
    await plain.ready();
    const ready = plain.events[0]!.event;
    assert.equal(ready?.$case === "ready" && ready.value.root, inData("plain"));

    await writeFile(inData("plain", "a.txt"), "one");
    await plain.until((w) => w.has({ type: "created", path: "a.txt" }), "a.txt created");
    await appendFile(inData("plain", "a.txt"), "two");
    await plain.until((w) => w.has({ type: "modified", path: "a.txt" }), "a.txt modified");
    await rename(inData("plain", "a.txt"), inData("plain", "b.txt"));
    await plain.until((w) => w.has({ type: "renamed", path: "b.txt" }), "renamed");
    await rm(inData("plain", "b.txt"));
    await plain.until((w) => w.has({ type: "deleted", path: "b.txt" }), "b.txt deleted");
    await mkdir(inData("plain", "sub"));
    await symlink("b.txt", inData("plain", "link"));
    await plain.until((w) => w.has({ path: "link" }), "link created");

    assert.deepEqual(plain.changes, [
      { type: "created", path: "a.txt", kind: "file" },
      { type: "modified", path: "a.txt", kind: "file" },
      { type: "renamed", path: "b.txt", from: "a.txt", kind: "file" },
      { type: "deleted", path: "b.txt", kind: "file" },
      { type: "created", path: "sub", kind: "directory" },
      { type: "created", path: "link", kind: "symlink" },
    ]);
    for (const event of plain.events.slice(1)) {
      const time = event.event?.$case === "change" ? event.event.value.time : "";
      assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }

    // Not recursive: a file in the subfolder is not reported.
    await writeFile(inData("plain", "sub", "deep.txt"), "x");
    await writeFile(inData("plain", "after.txt"), "x");
    await plain.until((w) => w.has({ path: "after.txt" }), "after.txt");
    assert.ok(!plain.has({ path: "sub/deep.txt" }));
  });

  it("sees changes made by any process, and reports an atomic save as modified", async () => {
    await mkdir(inData("shell"));
    const shell = watch({ path: "shell" });
    await shell.ready();
    // Pauses between steps: what is made and removed within one batch is not reported.
    const script =
      "echo hi > note; sleep 0.2; echo more >> note; mkdir d; sleep 0.2; printf x > .tmp1 && mv .tmp1 note; sleep 0.2; rm note";
    await run("sh", ["-c", script], { cwd: inData("shell") });
    await shell.until((w) => w.has({ type: "deleted", path: "note" }), "note deleted");
    assert.ok(shell.has({ type: "created", path: "note", kind: "file" }));
    assert.ok(shell.has({ type: "created", path: "d", kind: "directory" }));
    // The save is a rename over note, or, when both fell in one batch, a replaced note.
    assert.ok(
      shell.has({ type: "renamed", path: "note", from: ".tmp1" }) || shell.has({ type: "modified", path: "note" }),
    );
  });

  it("recursive: watches folders made later, follows a folder's rename, and stops at links", async () => {
    await mkdir(inData("tree", "old"), { recursive: true });
    await writeFile(path.join(outside, "secret.txt"), "x");
    await symlink(outside, inData("tree", "out-link"));
    const tree = watch({ path: "tree", recursive: true });
    await tree.ready();
    const ready = tree.events[0]!.event;
    assert.equal(ready?.$case === "ready" && ready.value.folders, 2, "tree and tree/old; not the link");

    await writeFile(inData("tree", "old", "in-old.txt"), "x");
    await tree.until((w) => w.has({ type: "created", path: "old/in-old.txt" }), "old/in-old.txt");
    await run("sh", ["-c", "mkdir -p a/b/c && echo deep > a/b/c/f.txt"], { cwd: inData("tree") });
    await tree.until((w) => w.has({ type: "created", path: "a/b/c/f.txt" }), "a/b/c/f.txt");
    for (const folder of ["a", "a/b", "a/b/c"])
      assert.ok(tree.has({ type: "created", path: folder, kind: "directory" }));

    await rename(inData("tree", "a"), inData("tree", "z"));
    await tree.until((w) => w.has({ type: "renamed", path: "z", from: "a" }), "a renamed to z");
    await writeFile(inData("tree", "z", "b", "c", "g.txt"), "x");
    await tree.until((w) => w.has({ type: "created", path: "z/b/c/g.txt" }), "z/b/c/g.txt under the new name");

    // Through the link: not watched. A marker after it proves the watch saw everything up to then.
    await writeFile(path.join(outside, "secret.txt"), "changed");
    await writeFile(inData("tree", "marker"), "x");
    await tree.until((w) => w.has({ path: "marker" }), "marker");
    assert.ok(!tree.changes.some((change) => change.path.startsWith("out-link/")), JSON.stringify(tree.changes));

    await rm(inData("tree", "z"), { recursive: true });
    await tree.until((w) => w.has({ type: "deleted", path: "z" }), "z deleted");
    assert.ok(tree.has({ type: "deleted", path: "z/b/c/g.txt" }));
  });

  it("ends with `deleted` for the folder itself when it is removed", async () => {
    await mkdir(inData("doomed"));
    const doomed = watch({ path: "doomed" });
    await doomed.ready();
    await rm(inData("doomed"), { recursive: true });
    assert.equal(await doomed.ended, undefined, "the stream ends without an error");
    assert.deepEqual(doomed.changes, [{ type: "deleted", path: "", kind: "directory" }]);
  });

  it("drops events for a client that does not read, says how many, and keeps its queue bounded", async () => {
    const files = 4000;
    await mkdir(inData("flood"));
    // Two clients that do not read: one with a small queue, one with room
    // for every event (the bound off, so this test can fail); a third reads
    // and tells when the agent has seen the flood.
    const small = watch({ path: "flood", maxQueuedEvents: 16 });
    const roomy = watch({ path: "flood", maxQueuedEvents: 65_536 });
    const observer = watch({ path: "flood" });
    await Promise.all([small.ready(), roomy.ready(), observer.ready()]);
    small.call.pause();
    roomy.call.pause();
    await run("sh", ["-c", `i=0; while [ $i -lt ${files} ]; do : > f$i; i=$((i+1)); done; : > last`], {
      cwd: inData("flood"),
    });
    await observer.until((w) => w.has({ path: "last" }), "the observer saw the flood", 30_000);
    await writeFile(inData("flood", "after-last"), "");
    await observer.until((w) => w.has({ path: "after-last" }), "a batch after the flood", 30_000);
    small.call.resume();
    roomy.call.resume();
    const total = files + 2;
    for (const client of [small, roomy])
      await client.until(
        (w) => w.changes.length + droppedCount(w) >= total,
        "every change reported or counted",
        30_000,
      );

    assert.equal(droppedCount(roomy), 0, "with room for all, nothing is dropped");
    assert.equal(roomy.changes.length, total);
    const dropped = droppedCount(small);
    assert.ok(dropped > 0, "some events were dropped");
    assert.equal(small.changes.length + dropped, total, "none lost without being counted");
    // Before the first loss the client got what the queue and the stream's
    // flow-control windows hold, far from all 4000: the rest was counted, not kept.
    const firstMarker = small.events.findIndex((event) => event.event?.$case === "dropped");
    assert.ok(firstMarker > 16 && firstMarker < 3000, `first marker after ${firstMarker} events`);
    await writeFile(inData("flood", "later"), "");
    await small.until((w) => w.has({ path: "later" }), "events after a loss still come");
  });

  it("refuses paths outside the watchable folders, also through a link, and accepts them once allowed", async () => {
    assert.equal((await refused({ path: "/etc" }, client, TOKEN)).code, status.PERMISSION_DENIED);
    await symlink(outside, inData("escape"));
    const viaLink = await refused({ path: "escape" }, client, TOKEN);
    assert.equal(viaLink.code, status.PERMISSION_DENIED);
    assert.match(viaLink.details, /outside the folders this agent watches \(it resolves to/);
    assert.equal((await refused({ path: "../" }, client, TOKEN)).code, status.PERMISSION_DENIED);

    // The same link on an agent that lets the outside folder be watched.
    const open = await startAgentProcess({
      dataDir: agent.dataDir,
      env: { BOTBOX_WATCH_ROOTS: `${agent.dataDir}:${outside}` },
    });
    const other = new FileWatchServiceClient(open.address, credentials.createInsecure());
    try {
      const allowed = watch({ path: "escape" }, other, undefined);
      await allowed.ready();
      await writeFile(path.join(outside, "seen.txt"), "x");
      await allowed.until((w) => w.has({ type: "created", path: "seen.txt" }), "seen.txt");
      allowed.cancel();
    } finally {
      other.close();
      await open.stop();
    }
  });

  it("says what was wrong with bad input", async () => {
    await writeFile(inData("a-file"), "x");
    const cases: [Partial<WatchRequest>, status, RegExp][] = [
      [{ path: "" }, status.INVALID_ARGUMENT, /path is required/],
      [{ path: "nowhere" }, status.NOT_FOUND, /no such folder/],
      [{ path: "a-file" }, status.INVALID_ARGUMENT, /not a folder/],
      [{ path: ".", maxQueuedEvents: 5 }, status.INVALID_ARGUMENT, /max_queued_events must be/],
      [{ path: ".", maxQueuedEvents: -1 }, status.INVALID_ARGUMENT, /max_queued_events must be/],
    ];
    for (const [request, code, message] of cases) {
      const error = await refused(request, client, TOKEN);
      assert.equal(error.code, code, `${JSON.stringify(request)}: ${error.details}`);
      assert.match(error.details, message);
    }
    assert.equal((await refused({ path: "." }, client, "wrong")).code, status.UNAUTHENTICATED);
  });

  it("bounds folders per watch and watches per agent", async () => {
    const small = await startAgentProcess({
      env: { BOTBOX_WATCH_MAX_FOLDERS: "3", BOTBOX_WATCH_MAX_STREAMS: "1" },
    });
    const limited = new FileWatchServiceClient(small.address, credentials.createInsecure());
    try {
      await mkdir(path.join(small.dataDir, "big", "1", "2", "3"), { recursive: true });
      const tooBig = await refused({ path: "big", recursive: true }, limited, undefined);
      assert.equal(tooBig.code, status.RESOURCE_EXHAUSTED);
      assert.match(tooBig.details, /more folders than one watch may hold \(3, BOTBOX_WATCH_MAX_FOLDERS\)/);

      const fits = watch({ path: "big/1", recursive: true }, limited, undefined);
      await fits.ready();
      const second = await refused({ path: "big" }, limited, undefined);
      assert.equal(second.code, status.RESOURCE_EXHAUSTED);
      assert.match(second.details, /1 watches are open/);

      await mkdir(path.join(small.dataDir, "big", "1", "2", "beyond"));
      await fits.until((w) => w.events.some((e) => e.event?.$case === "notice"), "a notice");
      const notice = fits.events.find((e) => e.event?.$case === "notice")!.event;
      assert.match(
        notice?.$case === "notice" ? notice.value.message : "",
        /not watching .*beyond: 3 folders are watched/,
      );
      assert.ok(fits.has({ type: "created", path: "2/beyond" }), "the folder itself is still reported");
      fits.cancel();
    } finally {
      limited.close();
      await small.stop();
    }
  });
});

function droppedCount(watch: OpenWatch): number {
  return watch.events.reduce((sum, e) => sum + (e.event?.$case === "dropped" ? e.event.value.count : 0), 0);
}
