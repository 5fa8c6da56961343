import { describe, expect, it, vi } from "vitest";

import { apiError, FakeApi, json } from "../../vitest/fake-api";
import { ApiError, apiErrorOf, messageOf } from "./api-error";
import { ApiClient } from "./client";

describe("the API client", () => {
  it("sends the bearer token and a JSON body, and parses the answer", async () => {
    const api = new FakeApi().on("POST", "/bots", json({ id: "a" }, 201));
    const answer = await new ApiClient("secret").json("POST", "/bots", { name: "A" });
    expect(answer).toEqual({ id: "a" });
    expect(api.requests).toEqual([
      { method: "POST", url: "/bots", authorization: "Bearer secret", body: { name: "A" } },
    ]);
  });

  it("answers undefined for 204 No Content", async () => {
    new FakeApi().on("DELETE", "/bots/a", () => new Response(null, { status: 204 }));
    expect(await new ApiClient("t").json("DELETE", "/bots/a")).toBeUndefined();
  });

  it("throws the API's own code and message for an error, never a bare status", async () => {
    new FakeApi().on("POST", "/bots", apiError(400, "bad_request", "body.id: must match ^[a-z0-9-]+$"));
    const failure = await new ApiClient("t").json("POST", "/bots", {}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 400, code: "bad_request" });
    expect(messageOf(failure)).toBe("body.id: must match ^[a-z0-9-]+$ (400 bad_request)");
  });

  it("tells onUnauthorized about a 401, and only about a 401", async () => {
    new FakeApi()
      .on("GET", "/bots", apiError(401, "unauthorized", "invalid or revoked token"))
      .on("GET", "/bots/x", apiError(403, "forbidden", "a bot token reaches only its own bot"));
    const client = new ApiClient("t");
    const told = vi.fn();
    client.onUnauthorized = told;
    await expect(client.json("GET", "/bots/x")).rejects.toMatchObject({ status: 403 });
    expect(told).not.toHaveBeenCalled();
    await expect(client.json("GET", "/bots")).rejects.toMatchObject({ status: 401 });
    expect(told).toHaveBeenCalledOnce();
    expect(messageOf(told.mock.calls[0]![0])).toContain("invalid or revoked token");
  });

  it("turns a JSON-RPC error of the tool gateway into an Error naming the method", async () => {
    new FakeApi().on(
      "POST",
      "/bots/a/tools",
      json({ jsonrpc: "2.0", id: 1, error: { code: -32602, message: "unknown tool: nope" } }),
    );
    await expect(new ApiClient("t").jsonRpc("/bots/a/tools", "tools/call", { name: "nope" })).rejects.toThrow(
      "tools/call: unknown tool: nope (JSON-RPC -32602)",
    );
  });

  it("reads NDJSON lines as they come, also when a line is split across chunks", async () => {
    const chunks = ['{"n":1}\n{"n"', ':2}\n\n{"n":3}', "\n"];
    new FakeApi().on("GET", "/out", () => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
          controller.close();
        },
      });
      return new Response(body, { status: 200 });
    });
    const lines: unknown[] = [];
    await new ApiClient("t").followLines("/out", (line) => lines.push(line), new AbortController().signal);
    expect(lines).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });
});

describe("an API error's message", () => {
  it("is the API's message when the body is the API's error shape", () => {
    const error = apiErrorOf(404, "Not Found", JSON.stringify({ error: { code: "not_found", message: "bot b" } }));
    expect(error).toMatchObject({ status: 404, code: "not_found", message: "bot b" });
  });

  it("is the status line and the start of the body when the body is not JSON (a proxy's page)", () => {
    const error = apiErrorOf(502, "Bad Gateway", `<html>${"x".repeat(500)}</html>`);
    expect(error.code).toBe("http_error");
    expect(error.message.startsWith("502 Bad Gateway: <html>xxx")).toBe(true);
    expect(error.message.length).toBeLessThan(230);
  });

  it("is shown for anything thrown, not only ApiErrors", () => {
    expect(messageOf(new Error("the connection broke"))).toBe("the connection broke");
    expect(messageOf("plain")).toBe("plain");
  });
});
