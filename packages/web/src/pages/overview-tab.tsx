import { segment } from "../api/client";
import type { LifecycleEvent } from "../api/types";
import { ErrorNotice } from "../ui/error-notice";
import { formatBytes, formatTime } from "../ui/format";
import { useAction, useResource } from "../ui/use-resource";
import { startBot, stopBot } from "./bot-actions";
import type { TabProps } from "./bot-page";

/** The bot's settings, its container's state, start and stop, and its recent lifecycle events. */
export function OverviewTab({ session, bot, state, refresh }: TabProps) {
  const { api } = session;
  const events = useResource(
    () => api.json<{ events: LifecycleEvent[] }>("GET", `/bots/${segment(bot.id)}/container/events?limit=20`),
    [api, bot.id],
  );
  const action = useAction();
  const act = (work: () => Promise<unknown>) =>
    action.run(() =>
      work().finally(() => {
        refresh();
        events.reload();
      }),
    );
  const running = state?.status === "running";
  return (
    <div class="stack">
      <div class="actions">
        {!running && (
          <button type="button" disabled={action.busy} onClick={() => act(() => startBot(api, bot.id, state))}>
            Start
          </button>
        )}
        {running && (
          <button type="button" disabled={action.busy} onClick={() => act(() => stopBot(api, bot.id))}>
            Stop
          </button>
        )}
      </div>
      <ErrorNotice error={action.error} onDismiss={action.clearError} />
      <dl class="facts">
        <dt>Id</dt>
        <dd>{bot.id}</dd>
        <dt>Network</dt>
        <dd>{bot.network}</dd>
        <dt>Isolation</dt>
        <dd>{bot.isolation}</dd>
        <dt>Memory</dt>
        <dd>{formatBytes(bot.limits.memory_bytes)}</dd>
        <dt>CPUs</dt>
        <dd>{bot.limits.cpus ?? "—"}</dd>
        <dt>Processes</dt>
        <dd>{bot.limits.pids ?? "—"}</dd>
        <dt>Disk</dt>
        <dd>{formatBytes(bot.limits.disk_bytes)}</dd>
        <dt>Memory in use</dt>
        <dd>
          {state?.usage ? formatBytes(state.usage.memory_bytes) : "— (not running, or not counted by this runtime)"}
        </dd>
        <dt>Processes running</dt>
        <dd>{state?.usage?.processes ?? "—"}</dd>
        <dt>Image</dt>
        <dd>{state?.image ?? "—"}</dd>
        <dt>Last started</dt>
        <dd>{formatTime(state?.last_started_at)}</dd>
        <dt>Last stopped</dt>
        <dd>{formatTime(state?.last_stopped_at)}</dd>
      </dl>
      <h2>Recent events</h2>
      <ErrorNotice error={events.error} />
      <ul class="events" aria-label="Lifecycle events">
        {events.data?.events.map((event, index) => (
          <li key={index}>
            <time>{formatTime(event.created_at)}</time> <strong>{event.type}</strong>{" "}
            {Object.keys(event.payload).length > 0 && <code>{JSON.stringify(event.payload)}</code>}
          </li>
        ))}
        {events.data?.events.length === 0 && <li>No events yet.</li>}
      </ul>
    </div>
  );
}
