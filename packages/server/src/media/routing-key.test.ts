import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BadRequestError } from "../errors.js";
import { checkListPrefix, checkStorageKey, parseRoutingKey, splitRoutingKey } from "./routing-key.js";

const refused = (run: () => unknown, message: string | RegExp) =>
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof BadRequestError, String(error));
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });

describe("parseRoutingKey (the original's provider_test cases)", () => {
  it("accepts <bot>/<sub>", () => {
    assert.deepEqual(parseRoutingKey("bot-1/image/ab12/ab12cd.png"), { botId: "bot-1", sub: "image/ab12/ab12cd.png" });
  });

  it("cleans the key first", () => {
    assert.deepEqual(parseRoutingKey("bot-1//ab/./x.png/"), { botId: "bot-1", sub: "ab/x.png" });
  });

  it("refuses absolute keys, traversal, a missing sub path and the empty key", () => {
    refused(() => parseRoutingKey("/absolute/path"), "absolute key is forbidden");
    refused(() => parseRoutingKey("../escape"), "path traversal is forbidden");
    refused(() => parseRoutingKey("nosubpath"), "invalid storage key");
    refused(() => parseRoutingKey(""), "invalid storage key");
    refused(() => parseRoutingKey("../etc/passwd"), "path traversal is forbidden");
    refused(() => parseRoutingKey("bot-1/../../escape"), "path traversal is forbidden");
  });

  it("refuses what the original let through: a climb into another bot, NUL, backslashes, bad bot ids", () => {
    refused(() => parseRoutingKey("bot-a/../bot-b/x.png"), "path traversal is forbidden");
    refused(() => parseRoutingKey("bot-1/a\0b"), "invalid storage key");
    refused(() => parseRoutingKey("bot-1/a\\..\\b"), "invalid storage key");
    refused(() => parseRoutingKey("bot 1/x"), "invalid storage key");
    refused(() => parseRoutingKey("bot-1/"), "invalid storage key");
  });
});

describe("splitRoutingKey", () => {
  it("returns an empty bot and the whole key when there is no slash", () => {
    assert.deepEqual(splitRoutingKey("nosubpath"), ["", "nosubpath"]);
  });

  it("splits at the first slash only", () => {
    assert.deepEqual(splitRoutingKey("bot/ab/cd"), ["bot", "ab/cd"]);
  });
});

describe("storage keys and prefixes from callers", () => {
  it("accepts content addresses", () => {
    assert.equal(checkStorageKey("ab/ab12.png"), "ab/ab12.png");
  });

  it("refuses traversal, hidden segments, empty segments and control characters", () => {
    refused(() => checkStorageKey("../../etc/passwd"), "path traversal is forbidden");
    refused(() => checkStorageKey("ab/../../x"), "path traversal is forbidden");
    refused(() => checkStorageKey(".incoming/x.part"), /invalid storage key/);
    refused(() => checkStorageKey("/etc/passwd"), /invalid storage key/);
    refused(() => checkStorageKey("ab//x"), /invalid storage key/);
    refused(() => checkStorageKey("ab/"), /invalid storage key/);
    refused(() => checkStorageKey(""), /invalid storage key/);
    refused(() => checkStorageKey("ab/x\ny"), /forbidden character/);
    refused(() => checkStorageKey("a".repeat(513)), /too long/);
  });

  it("lets a prefix be empty or end in a slash", () => {
    assert.equal(checkListPrefix(""), "");
    assert.equal(checkListPrefix("ab/"), "ab/");
    assert.equal(checkListPrefix("ab/ab1"), "ab/ab1");
    refused(() => checkListPrefix("../"), "path traversal is forbidden");
    refused(() => checkListPrefix("/"), /invalid prefix/);
  });
});
