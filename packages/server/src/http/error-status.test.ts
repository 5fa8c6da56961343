import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";

import { errorCodes } from "fastify";

import {
  AgentError,
  BadRequestError,
  BotboxError,
  PayloadTooLargeError,
  RangeNotSatisfiableError,
  reachWorkspace,
  UnavailableError,
  WorkspaceUnreachableError,
} from "../errors.js";
import { errorResponse, FRAMEWORK_ERRORS, HTTP_STATUS } from "./error-status.js";

/** Fastify's 4xx codes that only a wrong route definition or start-up raises: a 500 is right for them. */
const SERVER_MISTAKES = new Set([
  "FST_ERR_CTP_INSTANCE_ALREADY_STARTED",
  "FST_ERR_ROUTE_MISSING_CONTENT_TYPE",
  "FST_ERR_ROUTE_MISSING_CONTENT",
]);

describe("errorResponse", () => {
  it("answers a botbox error with its code's status and its message", () => {
    const answer = errorResponse(new PayloadTooLargeError("the file is larger than 5 bytes"));
    assert.deepEqual(answer, {
      status: 413,
      headers: {},
      body: { error: { code: "payload_too_large", message: "the file is larger than 5 bytes" } },
    });
  });

  it("says the file's size in Content-Range for a range outside it", () => {
    const answer = errorResponse(new RangeNotSatisfiableError(42, "outside"));
    assert.equal(answer.status, 416);
    assert.deepEqual(answer.headers, { "content-range": "bytes */42" });
  });

  it("maps every client-caused Fastify error by its code, and each code has a status", () => {
    const unmapped: string[] = [];
    for (const [name, make] of Object.entries(errorCodes)) {
      const error = new (make as new (...args: string[]) => Error & { statusCode?: number })("a", "b", "c");
      const status = error.statusCode ?? 500;
      if (status < 400 || status >= 500 || SERVER_MISTAKES.has(name)) continue;
      const answer = errorResponse(error);
      if (answer.status >= 500) unmapped.push(`${name} (${status})`);
      else assert.equal(answer.body.error.code, FRAMEWORK_ERRORS[name], name);
    }
    assert.deepEqual(unmapped, [], "add these to FRAMEWORK_ERRORS or SERVER_MISTAKES");
    for (const code of Object.values(FRAMEWORK_ERRORS)) assert.ok(HTTP_STATUS[code] >= 400, code);
  });

  it("gives a body too large the same code whether Fastify or botbox found it", () => {
    const fastify = errorResponse(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    const own = errorResponse(new PayloadTooLargeError("over"));
    assert.equal(fastify.status, 413);
    assert.equal(fastify.body.error.code, own.body.error.code);
    const mediaType = errorResponse(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE("x"));
    assert.deepEqual([mediaType.status, mediaType.body.error.code], [415, "unsupported_media_type"]);
  });

  it("does not take an unknown error's own statusCode: it is a 500 that says nothing", () => {
    const duck = Object.assign(new Error("secret detail"), { statusCode: 400, code: "SOMETHING_ELSE" });
    assert.deepEqual(errorResponse(duck), {
      status: 500,
      headers: {},
      body: { error: { code: "internal", message: "internal error" } },
    });
  });

  it("refines an agent failure by its gRPC status or system-call text", () => {
    assert.equal(errorResponse(new AgentError("RESOURCE_EXHAUSTED", "too big")).status, 413);
    const readOnly = errorResponse(new AgentError("INTERNAL", "grpc INTERNAL: create /usr/x: read-only file system"));
    assert.deepEqual([readOnly.status, readOnly.body.error.code], [403, "read_only"]);
    assert.equal(errorResponse(new AgentError("INTERNAL", "grpc INTERNAL: something odd")).status, 500);
  });

  it("is the table docs/server.md lists, code for code", async () => {
    const docs = await readFile(new URL("../../../../docs/server.md", import.meta.url), "utf8");
    const rows = [...docs.matchAll(/^\| `([a-z_]+)` +\| (\d{3}) +\|/gm)].map(([, code, status]) => [
      code,
      Number(status),
    ]);
    const documented = Object.fromEntries(rows);
    assert.deepEqual(documented, HTTP_STATUS);
  });

  it("has a status for every code", () => {
    for (const [code, status] of Object.entries(HTTP_STATUS)) {
      assert.equal(errorResponse(new BotboxError(code as keyof typeof HTTP_STATUS, "x")).status, status);
    }
  });
});

describe("reachWorkspace", () => {
  it("turns whatever the lookup threw into a 503 with the reason", async () => {
    for (const thrown of [new Error("no such bot"), new BadRequestError("odd"), new UnavailableError("no endpoint")]) {
      const error = await reachWorkspace("b1", () => Promise.reject(thrown)).catch((caught: unknown) => caught);
      assert.ok(error instanceof WorkspaceUnreachableError);
      assert.equal(error.botId, "b1");
      assert.equal(error.message, `container not reachable: ${thrown.message}`);
      assert.deepEqual(errorResponse(error).status, 503);
      assert.equal(errorResponse(error).body.error.code, "unavailable");
    }
  });

  it("hands back the client when the lookup works", async () => {
    assert.equal(await reachWorkspace("b1", async (id) => `client of ${id}`), "client of b1");
  });
});
