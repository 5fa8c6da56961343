import { fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import { describe, expect, it } from "vitest";

import { apiError, FakeApi, json } from "../../../vitest/fake-api";
import { ApiClient } from "../../api/client";
import type { Bot, FileEntry } from "../../api/types";
import { BotFiles } from "./file-api";
import { FileEditor } from "./file-editor";
import { FilesTab } from "./files-tab";

const LIST = "/bots/a/container/fs/list?path=%2Fdata&limit=200";

const entry = (name: string, size: number, isDir = false, modTime = "2026-12-01T00:00:00Z"): FileEntry => ({
  name,
  path: `/data/${name}`,
  size,
  isDir,
  mode: isDir ? "drwxr-xr-x" : "-rw-r--r--",
  modTime,
});

const bot = { id: "a", name: "A" } as Bot;

function renderTab() {
  const session = { api: new ApiClient("t"), principal: { kind: "admin" as const } };
  render(<FilesTab session={session} bot={bot} state={undefined} refresh={() => undefined} />);
}

/** The names in the table, top to bottom. */
const shownNames = () =>
  within(screen.getByRole("table", { name: "Files" }))
    .getAllByRole("row")
    .slice(1)
    .map((row) => row.getAttribute("data-path"));

describe("the Files tab", () => {
  it("pages forward with the API's cursor and back to the page before", async () => {
    const api = new FakeApi()
      .on("GET", LIST, json({ path: "/data", entries: [entry("one", 1)], nextCursor: "after-one" }))
      .on("GET", `${LIST}&cursor=after-one`, json({ path: "/data", entries: [entry("two", 2)], nextCursor: null }));
    renderTab();
    await screen.findByText("one");
    expect(screen.getByText("Page 1")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Previous page" }) as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getByRole("button", { name: "Next page" }));
    await screen.findByText("two");
    expect(screen.getByText("Page 2")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Next page" }) as HTMLButtonElement).disabled).toBe(true);
    // By size, only this page is in order: the table says so.
    fireEvent.click(within(screen.getByRole("columnheader", { name: /Size/ })).getByRole("button"));
    expect(screen.getByText(/Sorted within this page/)).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Previous page" }));
    await screen.findByText("one");
    expect(api.sent("GET", "/bots/a/container/fs/list").map((request) => request.url)).toEqual([
      LIST,
      `${LIST}&cursor=after-one`,
      LIST,
    ]);
  });

  it("sorts by a column both ways, folders always first", async () => {
    new FakeApi().on(
      "GET",
      LIST,
      json({
        path: "/data",
        entries: [
          entry("b.txt", 300, false, "2026-12-03T00:00:00Z"),
          entry("zeta", 4096, true),
          entry("a.txt", 20, false, "2026-12-01T00:00:00Z"),
          entry("alpha", 4096, true),
          entry("c.txt", 1000, false, "2026-12-02T00:00:00Z"),
        ],
        nextCursor: null,
      }),
    );
    renderTab();
    await screen.findByText("b.txt");
    expect(shownNames()).toEqual(["/data/alpha", "/data/zeta", "/data/a.txt", "/data/b.txt", "/data/c.txt"]);

    const size = screen.getByRole("columnheader", { name: /Size/ });
    fireEvent.click(within(size).getByRole("button"));
    expect(size.getAttribute("aria-sort")).toBe("ascending");
    expect(shownNames().slice(2)).toEqual(["/data/a.txt", "/data/b.txt", "/data/c.txt"]);
    fireEvent.click(within(size).getByRole("button"));
    expect(size.getAttribute("aria-sort")).toBe("descending");
    expect(shownNames()).toEqual(["/data/zeta", "/data/alpha", "/data/c.txt", "/data/b.txt", "/data/a.txt"]);

    const modified = screen.getByRole("columnheader", { name: /Modified/ });
    fireEvent.click(within(modified).getByRole("button"));
    expect(shownNames().slice(2)).toEqual(["/data/a.txt", "/data/c.txt", "/data/b.txt"]);
    expect(size.getAttribute("aria-sort")).toBe("none");
  });

  it("shows the API's message when the folder cannot be listed", async () => {
    new FakeApi().on("GET", LIST, apiError(409, "not_running", "bot a is not running: start it first"));
    renderTab();
    expect((await screen.findByRole("alert")).textContent).toContain("bot a is not running: start it first");
  });

  it("creates a folder and renames an entry through the API, then lists again", async () => {
    const api = new FakeApi()
      .on("GET", LIST, json({ path: "/data", entries: [entry("old.txt", 5)], nextCursor: null }))
      .on("POST", "/bots/a/container/fs/mkdir", json({}))
      .on("POST", "/bots/a/container/fs/rename", json({}));
    renderTab();
    await screen.findByText("old.txt");
    fireEvent.input(screen.getByLabelText("New folder name"), { target: { value: " reports " } });
    fireEvent.click(screen.getByRole("button", { name: "Create folder" }));
    await waitFor(() => expect(api.sent("POST", "/bots/a/container/fs/mkdir")).toHaveLength(1));
    expect(api.sent("POST", "/bots/a/container/fs/mkdir")[0]!.body).toEqual({ path: "/data/reports" });

    const rename = screen.getByRole("button", { name: "Rename" }) as HTMLButtonElement;
    // Busy while the folder is made: one action at a time.
    await waitFor(() => expect(rename.disabled).toBe(false));
    fireEvent.click(rename);
    fireEvent.input(screen.getByLabelText("New name for old.txt"), { target: { value: "new.txt" } });
    fireEvent.click(screen.getByRole("button", { name: "Save name" }));
    await waitFor(() => expect(api.sent("POST", "/bots/a/container/fs/rename")).toHaveLength(1));
    expect(api.sent("POST", "/bots/a/container/fs/rename")[0]!.body).toEqual({
      oldPath: "/data/old.txt",
      newPath: "/data/new.txt",
    });
    await waitFor(() => expect(api.sent("GET", LIST).length).toBeGreaterThanOrEqual(3));
  });
});

describe("the file editor", () => {
  it("never reads a file too large to edit into the page: it offers the download", async () => {
    const api = new FakeApi();
    const files = new BotFiles(new ApiClient("t"), "a");
    render(<FileEditor files={files} entry={entry("huge.log", 50 * 2 ** 20)} onClose={() => undefined} />);
    expect(screen.getByText(/This file is 50 MiB: too large to edit in the browser/)).toBeTruthy();
    expect((screen.getByRole("button", { name: "Save" }) as HTMLButtonElement).disabled).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.requests).toEqual([]);
  });
});
