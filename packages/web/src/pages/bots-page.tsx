import { useState } from "preact/hooks";

import { botPath } from "../router";
import type { Session } from "../session";
import { ConfirmButton } from "../ui/confirm-button";
import { DataTable } from "../ui/data-table";
import { ErrorNotice } from "../ui/error-notice";
import { formatBytes } from "../ui/format";
import { Link } from "../ui/link";
import { useAction, useRefreshEvery, useResource } from "../ui/use-resource";
import { type BotRow, deleteBot, loadBotRows, removeContainer, startBot, stopBot } from "./bot-actions";
import { CreateBotForm } from "./create-bot-form";

/** Every bot the token reaches (a bot token: its own), with what can be done to each. */
export function BotsPage({ session }: { session: Session }) {
  const rows = useResource(() => loadBotRows(session.api), [session]);
  const action = useAction();
  const [creating, setCreating] = useState(false);
  useRefreshEvery(rows.reload);
  const admin = session.principal.kind === "admin";
  const act = (work: () => Promise<unknown>) => action.run(async () => work().finally(rows.reload));
  return (
    <section>
      <div class="heading">
        <h1>Bots</h1>
        <button type="button" onClick={rows.reload}>
          Refresh
        </button>
        {admin && (
          <button type="button" class="primary" onClick={() => setCreating(!creating)} aria-expanded={creating}>
            New bot
          </button>
        )}
      </div>
      {creating && (
        <CreateBotForm
          api={session.api}
          onCreated={() => {
            setCreating(false);
            rows.reload();
          }}
        />
      )}
      <ErrorNotice error={rows.error} />
      <ErrorNotice error={action.error} onDismiss={action.clearError} />
      <DataTable
        label="Bots"
        columns={["Bot", "Status", "Network", "Isolation", "Limits", "Actions"]}
        rows={rows.data}
        row={(row) => (
          <BotRowView key={row.bot.id} row={row} admin={admin} busy={action.busy} act={act} session={session} />
        )}
        empty={`No bots yet${admin ? ": create one with New bot." : "."}`}
      />
    </section>
  );
}

function BotRowView(props: {
  row: BotRow;
  admin: boolean;
  busy: boolean;
  act: (work: () => Promise<unknown>) => void;
  session: Session;
}) {
  const { bot, state } = props.row;
  const api = props.session.api;
  const [keepData, setKeepData] = useState(true);
  const running = state?.status === "running";
  const exists = state !== undefined && state.status !== "missing";
  return (
    <tr data-bot={bot.id}>
      <td>
        <Link href={botPath(bot.id)}>{bot.name}</Link>
        <div class="muted">{bot.id}</div>
      </td>
      <td>
        <span class={`status status-${state?.status ?? "unknown"}`}>{state?.status ?? "unknown"}</span>
        {state?.usage && (
          <div class="muted" data-testid="usage">
            {formatBytes(state.usage.memory_bytes)} in use, {state.usage.processes ?? "—"} processes
          </div>
        )}
        {props.row.stateError !== undefined && <ErrorNotice error={props.row.stateError} />}
      </td>
      <td>
        {bot.network}
        {bot.egress?.allow && <div class="muted">allow: {bot.egress.allow.join(", ") || "nothing"}</div>}
        {bot.egress?.deny.length ? <div class="muted">deny: {bot.egress.deny.join(", ")}</div> : null}
      </td>
      <td>{bot.isolation}</td>
      <td class="limits">
        <div>memory {formatBytes(bot.limits.memory_bytes)}</div>
        <div>cpus {bot.limits.cpus ?? "—"}</div>
        <div>pids {bot.limits.pids ?? "—"}</div>
        <div>disk {formatBytes(bot.limits.disk_bytes)}</div>
      </td>
      <td class="actions">
        {!running && (
          <button type="button" disabled={props.busy} onClick={() => props.act(() => startBot(api, bot.id, state))}>
            Start
          </button>
        )}
        {running && (
          <button type="button" disabled={props.busy} onClick={() => props.act(() => stopBot(api, bot.id))}>
            Stop
          </button>
        )}
        {exists && (
          <ConfirmButton
            label="Remove container"
            title={`Remove the container of ${bot.name}?`}
            confirmLabel="Remove container"
            danger
            disabled={props.busy}
            onConfirm={() => props.act(() => removeContainer(api, bot.id, keepData))}
          >
            <label class="check">
              <input
                type="checkbox"
                checked={keepData}
                onChange={(event) => setKeepData(event.currentTarget.checked)}
              />
              Keep /data for the next container
            </label>
          </ConfirmButton>
        )}
        {props.admin && (
          <ConfirmButton
            label="Delete"
            title={`Delete bot ${bot.name}?`}
            confirmLabel="Delete bot and its data"
            danger
            disabled={props.busy}
            onConfirm={() => props.act(() => deleteBot(api, bot.id))}
          >
            <p>The bot, its container and all of its data (kept data too) go for good.</p>
          </ConfirmButton>
        )}
      </td>
    </tr>
  );
}
