// The batch rules of classify.ts and the queue's drop marker, on plain data.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ChangeType, EntryKind, type WatchEvent } from "@botbox/proto";

import { classifyBatch, type SeenName } from "./classify.js";
import { BoundedEventQueue } from "./event-queue.js";
import { type EntryState, WatchedFolder } from "./watched-folder.js";

const folder = new WatchedFolder(undefined, "");
const file = (ino: number): EntryState => ({ dev: 1, ino, kind: EntryKind.ENTRY_KIND_FILE });
const seen = (name: string, before?: EntryState, now?: EntryState, changed = false): SeenName => ({
  folder,
  name,
  before,
  now,
  renamed: !changed,
  changed,
  time: new Date(0),
});
const summary = (names: SeenName[]) =>
  classifyBatch(names).map((outcome) =>
    outcome.type === "renamed"
      ? `renamed ${outcome.source.name} -> ${outcome.target.name}`
      : `${outcome.type} ${outcome.target.name}`,
  );

describe("classifyBatch", () => {
  it("pairs a gone inode with where it went, whichever came first", () => {
    assert.deepEqual(summary([seen("a", file(1), undefined), seen("b", undefined, file(1))]), ["renamed a -> b"]);
    assert.deepEqual(summary([seen("b", undefined, file(1)), seen("a", file(1), undefined)]), ["renamed a -> b"]);
  });

  it("a rename over an existing name is a rename; a new entry at the old name is created", () => {
    assert.deepEqual(summary([seen("tmp", file(5), undefined), seen("note", file(2), file(5))]), [
      "renamed tmp -> note",
    ]);
    assert.deepEqual(summary([seen("a", file(1), file(3)), seen("b", undefined, file(1))]), [
      "created a",
      "renamed a -> b",
    ]);
  });

  it("tells created, deleted, modified, replaced and kind changes apart, and skips what came and went", () => {
    const folderEntry: EntryState = { dev: 1, ino: 9, kind: EntryKind.ENTRY_KIND_DIRECTORY };
    assert.deepEqual(
      summary([
        seen("new", undefined, file(1)),
        seen("old", file(2), undefined),
        seen("written", file(3), file(3), true),
        seen("touched-by-rename-only", file(4), file(4)),
        seen("saved", file(5), file(6)),
        seen("now-a-folder", file(7), folderEntry),
        seen("fleeting", undefined, undefined),
      ]),
      ["created new", "deleted old", "modified written", "replaced saved", "kind-changed now-a-folder"],
    );
  });
});

describe("BoundedEventQueue", () => {
  const change = (path: string, type = ChangeType.CHANGE_TYPE_CREATED): WatchEvent => ({
    event: { $case: "change", value: { type, path, fromPath: "", kind: EntryKind.ENTRY_KIND_FILE, time: "" } },
  });
  const drain = (queue: BoundedEventQueue) => {
    const shown: string[] = [];
    for (let event = queue.shift(); event; event = queue.shift())
      shown.push(
        event.event?.$case === "dropped"
          ? `dropped ${event.event.value.count}`
          : String(event.event?.$case === "change" && event.event.value.path),
      );
    return shown;
  };

  it("keeps its capacity, counts the rest, and reports the loss where it happened", () => {
    const queue = new BoundedEventQueue(2);
    for (const path of ["a", "b", "c", "d", "e"]) queue.push(change(path));
    assert.equal(queue.length, 2);
    assert.equal(queue.droppedPending, 3);
    assert.deepEqual(drain(queue), ["a", "b", "dropped 3"]);
    queue.push(change("x"));
    queue.push(change("y"));
    queue.push(change("z"));
    assert.equal(queue.shift()?.event?.$case, "change");
    queue.push(change("w"));
    assert.deepEqual(drain(queue), ["y", "dropped 1", "w"]);
  });

  it("folds a modification into one still waiting for the same path", () => {
    const queue = new BoundedEventQueue(4);
    for (let i = 0; i < 10; i += 1) queue.push(change("busy", ChangeType.CHANGE_TYPE_MODIFIED));
    assert.deepEqual(drain(queue), ["busy"]);
    queue.push(change("busy", ChangeType.CHANGE_TYPE_MODIFIED));
    assert.equal(queue.length, 1, "once sent, the next modification is news again");
  });
});
