import { fireEvent, render, screen } from "@testing-library/preact";
import { describe, expect, it } from "vitest";

import { FakeApi } from "../../../vitest/fake-api";
import { ApiClient } from "../../api/client";
import type { Bot, ProcessInfo } from "../../api/types";
import { PROCESSES_PAGE, ProcessesTab } from "./processes-tab";

const processes = (count: number): ProcessInfo[] =>
  Array.from({ length: count }, (_, n) => ({
    id: `p${n + 1}`,
    tag: "",
    command: `sleep ${n + 1}`,
    status: "running",
    pid: 100 + n,
    started_at: "2026-12-06T10:00:00Z",
    cwd: "/data",
    output_bytes: 0,
    dropped_bytes: 0,
    input_open: true,
  }));

function renderTab() {
  const session = { api: new ApiClient("token") } as never;
  return render(
    <ProcessesTab session={session} bot={{ id: "a" } as Bot} state={undefined} refresh={() => undefined} />,
  );
}

const shownIds = () =>
  Array.from(screen.getByRole("table", { name: "Processes" }).querySelectorAll("tbody tr[data-process]"), (row) =>
    row.getAttribute("data-process"),
  );

describe("the processes tab", () => {
  it(`pages a long process table ${PROCESSES_PAGE} rows at a time`, async () => {
    new FakeApi().on("GET", "/bots/a/processes", { processes: processes(120) });
    renderTab();
    await screen.findByText("Page 1 of 3");
    expect(shownIds()).toHaveLength(PROCESSES_PAGE);
    expect(shownIds()[0]).toBe("p1");
    expect((screen.getByRole("button", { name: "Previous page" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "Next page" }));
    fireEvent.click(screen.getByRole("button", { name: "Next page" }));
    await screen.findByText("Page 3 of 3");
    expect(shownIds()).toEqual(
      processes(120)
        .slice(100)
        .map((process) => process.id),
    );
    expect((screen.getByRole("button", { name: "Next page" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("shows no pager for a short table", async () => {
    new FakeApi().on("GET", "/bots/a/processes", { processes: processes(3) });
    renderTab();
    await screen.findByText("sleep 3");
    expect(shownIds()).toEqual(["p1", "p2", "p3"]);
    expect(screen.queryByRole("button", { name: "Next page" })).toBeNull();
  });
});
