import { useState } from "preact/hooks";

import { segment } from "../../api/client";
import type { ProcessInfo } from "../../api/types";
import { DataTable } from "../../ui/data-table";
import { ErrorNotice } from "../../ui/error-notice";
import { formatTime } from "../../ui/format";
import { InPageForm } from "../../ui/in-page-form";
import { Pager } from "../../ui/pager";
import { useAction, useRefreshEvery, useResource } from "../../ui/use-resource";
import type { TabProps } from "../bot-page";
import { ProcessLog } from "./process-log";

const commandText = (command: string | string[]) => (typeof command === "string" ? command : command.join(" "));
/** Rows a page: the supervisor keeps 64 by default, up to 8192 when configured (docs/processes.md). */
export const PROCESSES_PAGE = 50;

/** The supervisor's processes: start one (a shell line), see them, and open one's live log. */
export function ProcessesTab({ session, bot }: TabProps) {
  const { api } = session;
  const base = `/bots/${segment(bot.id)}/processes`;
  const list = useResource(() => api.json<{ processes: ProcessInfo[] }>("GET", base), [api, bot.id]);
  useRefreshEvery(list.reload);
  const [selected, setSelected] = useState<string>();
  const [page, setPage] = useState(1);
  const all = list.data?.processes;
  const pages = Math.max(1, Math.ceil((all?.length ?? 0) / PROCESSES_PAGE));
  // A refresh may leave fewer pages than the one shown.
  const shown = Math.min(page, pages);
  const [command, setCommand] = useState("");
  const [tag, setTag] = useState("");
  const action = useAction();
  return (
    <div class="stack">
      <InPageForm
        class="toolbar"
        label="Start a process"
        onSubmit={() => {
          void action.run(async () => {
            const started = await api.json<ProcessInfo>("POST", base, {
              command,
              ...(tag.trim() ? { tag: tag.trim() } : {}),
            });
            setSelected(started.id);
            setCommand("");
            list.reload();
          });
        }}
      >
        <input
          class="grow"
          aria-label="Command (a shell line)"
          placeholder="command, e.g. python3 -m http.server 8000"
          value={command}
          onInput={(event) => setCommand(event.currentTarget.value)}
          required
        />
        <input
          aria-label="Tag (optional)"
          placeholder="tag"
          value={tag}
          onInput={(event) => setTag(event.currentTarget.value)}
        />
        <button type="submit" class="primary" disabled={action.busy || !command.trim()}>
          Start
        </button>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </InPageForm>
      <ErrorNotice error={action.error} onDismiss={action.clearError} />
      <ErrorNotice error={list.error} />
      <DataTable
        label="Processes"
        columns={["Id", "Tag", "Command", "Status", "Started"]}
        rows={all?.slice((shown - 1) * PROCESSES_PAGE, shown * PROCESSES_PAGE)}
        row={(process) => (
          <tr key={process.id} aria-selected={process.id === selected} data-process={process.id}>
            <td>
              <button type="button" class="link" onClick={() => setSelected(process.id)}>
                {process.id}
              </button>
            </td>
            <td>{process.tag || "—"}</td>
            <td>
              <code>{commandText(process.command)}</code>
            </td>
            <td>
              {process.status}
              {process.exit_code !== undefined && ` (exit ${process.exit_code})`}
              {process.signal && ` (${process.signal})`}
            </td>
            <td>{formatTime(process.started_at)}</td>
          </tr>
        )}
        empty="No processes."
      />
      {pages > 1 && (
        <Pager
          page={shown}
          pages={pages}
          hasNext={shown < pages}
          onPrevious={() => setPage(shown - 1)}
          onNext={() => setPage(shown + 1)}
        />
      )}
      {selected && <ProcessLog key={selected} api={api} base={`${base}/${segment(selected)}`} onChange={list.reload} />}
    </div>
  );
}
