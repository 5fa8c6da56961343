import { describe, expect, it } from "vitest";

import { botPath, navigate, routeOf } from "./router";

const route = (path: string) => routeOf(new URL(path, "http://127.0.0.1:8080"));

describe("the console's routes", () => {
  it("opens the bot list at / and /console, with or without a trailing slash", () => {
    for (const path of ["/", "/console", "/console/"]) expect(route(path)).toEqual({ page: "bots" });
  });

  it("names a bot and its tab, the overview when the path names none", () => {
    expect(route("/console/bots/web-a")).toEqual({ page: "bot", botId: "web-a", tab: "overview" });
    expect(route("/console/bots/web-a/files")).toEqual({ page: "bot", botId: "web-a", tab: "files" });
  });

  it("round-trips a bot id that needs escaping", () => {
    const path = botPath("odd id/?", "mcp");
    expect(path).toBe("/console/bots/odd%20id%2F%3F/mcp");
    expect(route(path)).toEqual({ page: "bot", botId: "odd id/?", tab: "mcp" });
  });

  it("does not guess at other paths", () => {
    expect(route("/console/nothing")).toEqual({ page: "unknown" });
    expect(route("/console/bots/a/files/extra")).toEqual({ page: "unknown" });
  });

  it("navigates in the history, telling the page", () => {
    let told = 0;
    addEventListener("popstate", () => told++, { once: true });
    navigate("/console/bots/a");
    expect(location.pathname).toBe("/console/bots/a");
    expect(told).toBe(1);
  });
});
