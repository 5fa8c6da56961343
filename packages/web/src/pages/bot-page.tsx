import type { FunctionComponent } from "preact";

import { segment } from "../api/client";
import type { Bot, ContainerState } from "../api/types";
import { botPath, CONSOLE_ROOT } from "../router";
import type { Session } from "../session";
import { ErrorNotice } from "../ui/error-notice";
import { Link } from "../ui/link";
import { useRefreshEvery, useResource } from "../ui/use-resource";
import { FilesTab } from "./files/files-tab";
import { KnowledgeTab } from "./knowledge-tab";
import { LogsTab } from "./logs-tab";
import { McpTab } from "./mcp-tab";
import { OverviewTab } from "./overview-tab";
import { PortsTab } from "./ports-tab";
import { ProcessesTab } from "./processes/processes-tab";
import { SnapshotsTab } from "./snapshots-tab";
import { TerminalTab } from "./terminal/terminal-tab";

/** What every tab of a bot's page gets. */
export interface TabProps {
  session: Session;
  bot: Bot;
  state: ContainerState | undefined;
  /** Ask the bot's state again (after a start, stop, rollback). */
  refresh: () => void;
}

const TABS: { id: string; label: string; view: FunctionComponent<TabProps> }[] = [
  { id: "overview", label: "Overview", view: OverviewTab },
  { id: "files", label: "Files", view: FilesTab },
  { id: "terminal", label: "Terminal", view: TerminalTab },
  { id: "processes", label: "Processes", view: ProcessesTab },
  { id: "snapshots", label: "Snapshots", view: SnapshotsTab },
  { id: "mcp", label: "MCP", view: McpTab },
  { id: "knowledge", label: "Skills & memory", view: KnowledgeTab },
  { id: "ports", label: "Ports", view: PortsTab },
  { id: "logs", label: "Logs", view: LogsTab },
];

/** One bot: its name and state above, its tabs below (each tab has its own URL). */
export function BotPage(props: { session: Session; botId: string; tab: string }) {
  const { api } = props.session;
  const base = `/bots/${segment(props.botId)}`;
  const bot = useResource(() => api.json<Bot>("GET", base), [api, props.botId]);
  const state = useResource(() => api.json<ContainerState>("GET", `${base}/container`), [api, props.botId]);
  // Status and resource use change by themselves (the Overview shows them).
  useRefreshEvery(state.reload);
  const tab = TABS.find((candidate) => candidate.id === props.tab);
  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link href={CONSOLE_ROOT}>Bots</Link> / <span>{bot.data?.name ?? props.botId}</span>
      </nav>
      <div class="heading">
        <h1>{bot.data?.name ?? props.botId}</h1>
        {state.data && (
          <span class={`status status-${state.data.status}`} data-testid="bot-status">
            {state.data.status}
          </span>
        )}
      </div>
      <ErrorNotice error={bot.error} />
      <ErrorNotice error={state.error} />
      <nav class="tabs" aria-label="Bot sections">
        {TABS.map((candidate) => (
          <Link key={candidate.id} href={botPath(props.botId, candidate.id)} current={candidate === tab}>
            {candidate.label}
          </Link>
        ))}
      </nav>
      {!tab && <p>No tab named {props.tab}.</p>}
      {tab && bot.data && <tab.view session={props.session} bot={bot.data} state={state.data} refresh={state.reload} />}
    </section>
  );
}
