import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";

import { FakeApi, json } from "../../vitest/fake-api";
import { ApiClient } from "../api/client";
import type { Bot } from "../api/types";
import { McpTab } from "./mcp-tab";

const TOOLS = "/bots/a/tools";

function renderTab(callAnswer: unknown) {
  const api = new FakeApi()
    .on("GET", "/bots/a/mcp-servers", json({ servers: [{ name: "everything", command: "node", args: ["e.mjs"] }] }))
    .on("POST", TOOLS, ({ body }) => {
      const { method } = body as { method: string };
      if (method === "tools/list")
        return json({
          jsonrpc: "2.0",
          id: 1,
          result: { tools: [{ name: "everything__echo", description: "Echoes" }] },
        });
      return json({ jsonrpc: "2.0", id: 1, ...(callAnswer as object) });
    });
  const session = { api: new ApiClient("t"), principal: { kind: "admin" as const } };
  render(<McpTab session={session} bot={{ id: "a", name: "A" } as Bot} state={undefined} refresh={() => undefined} />);
  return api;
}

async function callWith(args: string) {
  const tool = screen.getByLabelText("Tool") as HTMLSelectElement;
  await waitFor(() => expect(tool.options.length).toBe(2));
  fireEvent.change(tool, { target: { value: "everything__echo" } });
  fireEvent.input(screen.getByLabelText("Arguments (JSON)"), { target: { value: args } });
  fireEvent.submit(screen.getByRole("form", { name: "Call a tool" }));
}

describe("the MCP tab's tool call", () => {
  it("refuses arguments that are not JSON without calling", async () => {
    const api = renderTab({ result: {} });
    await callWith("{not json");
    expect((await screen.findByRole("alert")).textContent).toContain("the arguments are not JSON");
    expect(api.requests.filter((request) => (request.body as { method?: string })?.method === "tools/call")).toEqual(
      [],
    );
  });

  it("calls the tool with the parsed arguments and shows the result", async () => {
    const api = renderTab({ result: { content: [{ type: "text", text: "Echo: hi" }] } });
    await callWith('{"message": "hi"}');
    await waitFor(() => expect(screen.getByTestId("tool-result").textContent).toContain("Echo: hi"));
    const call = api.requests.find((request) => (request.body as { method?: string })?.method === "tools/call");
    expect((call!.body as { params: unknown }).params).toEqual({
      name: "everything__echo",
      arguments: { message: "hi" },
    });
  });

  it("shows the gateway's JSON-RPC error with its message", async () => {
    renderTab({ error: { code: -32602, message: "message: expected string" } });
    await callWith('{"message": 1}');
    expect((await screen.findByRole("alert")).textContent).toContain(
      "tools/call: message: expected string (JSON-RPC -32602)",
    );
    expect(screen.queryByTestId("tool-result")).toBeNull();
  });
});
