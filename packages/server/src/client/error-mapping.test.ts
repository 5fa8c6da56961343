import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Metadata, status } from "@grpc/grpc-js";

import {
  AgentError,
  BadRequestError,
  type BotboxError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  UnavailableError,
} from "../errors.js";
import { mapGrpcError } from "./error-mapping.js";

function statusError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

describe("gRPC error mapping", () => {
  const table: [status, new (...args: never[]) => BotboxError, string, string][] = [
    [status.NOT_FOUND, NotFoundError, "not_found", "not found: open /data/x"],
    [status.INVALID_ARGUMENT, BadRequestError, "bad_request", "invalid argument: open /data/x"],
    [status.PERMISSION_DENIED, ForbiddenError, "forbidden", "permission denied: open /data/x"],
    [status.UNAUTHENTICATED, UnauthenticatedError, "unauthenticated", "unauthenticated: open /data/x"],
    [status.UNAVAILABLE, UnavailableError, "unavailable", "unavailable: open /data/x"],
    [status.ABORTED, UnavailableError, "unavailable", "unavailable: open /data/x"],
    [status.ALREADY_EXISTS, ConflictError, "conflict", "already exists: open /data/x"],
  ];
  for (const [code, type, botboxCode, message] of table) {
    it(`maps ${status[code]} to ${type.name}`, () => {
      const original = statusError(code, "open /data/x");
      const error = mapGrpcError(original);
      assert.ok(error instanceof type);
      assert.equal((error as BotboxError).code, botboxCode);
      assert.equal((error as Error).message, message);
      assert.equal((error as Error).cause, original);
    });
  }

  it("maps any other status to an AgentError named after the status", () => {
    const error = mapGrpcError(statusError(status.INTERNAL, "write: disk full"));
    assert.ok(error instanceof AgentError);
    assert.equal(error.grpcCode, "INTERNAL");
    assert.equal(error.message, "grpc INTERNAL: write: disk full");
  });

  it("passes errors that are not gRPC statuses through unchanged", () => {
    const plain = new TypeError("boom");
    assert.equal(mapGrpcError(plain), plain);
    const already = new NotFoundError("not found: x");
    assert.equal(mapGrpcError(already), already);
  });
});
