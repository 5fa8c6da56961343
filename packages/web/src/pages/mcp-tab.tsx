import { useState } from "preact/hooks";

import { segment } from "../api/client";
import type { McpServer, McpTool } from "../api/types";
import { ConfirmButton } from "../ui/confirm-button";
import { DataTable } from "../ui/data-table";
import { ErrorNotice } from "../ui/error-notice";
import { InPageForm } from "../ui/in-page-form";
import { useAction, useResource } from "../ui/use-resource";
import type { TabProps } from "./bot-page";

/** The bot's configured MCP servers, every tool its gateway serves, and a form to call one. */
export function McpTab({ session, bot }: TabProps) {
  const { api } = session;
  const base = `/bots/${segment(bot.id)}`;
  const servers = useResource(() => api.json<{ servers: McpServer[] }>("GET", `${base}/mcp-servers`), [api, bot.id]);
  const tools = useResource(() => api.jsonRpc<{ tools: McpTool[] }>(`${base}/tools`, "tools/list"), [api, bot.id]);
  const action = useAction();
  const reloadBoth = () => {
    servers.reload();
    tools.reload();
  };
  return (
    <div class="stack">
      <h2>Configured servers</h2>
      <ErrorNotice error={servers.error} />
      <ErrorNotice error={action.error} onDismiss={action.clearError} />
      <DataTable
        label="MCP servers"
        columns={["Name", "Command", "Actions"]}
        rows={servers.data?.servers}
        row={(server) => (
          <tr key={server.name}>
            <td>{server.name}</td>
            <td>
              <code>{[server.command, ...(server.args ?? [])].join(" ")}</code>
            </td>
            <td>
              <ConfirmButton
                label="Remove"
                title={`Remove MCP server ${server.name}?`}
                confirmLabel="Remove server"
                danger
                onConfirm={() =>
                  void action.run(() =>
                    api.json("DELETE", `${base}/mcp-servers/${segment(server.name)}`).finally(reloadBoth),
                  )
                }
              />
            </td>
          </tr>
        )}
        empty="None configured."
      />
      <AddServerForm
        busy={action.busy}
        onAdd={(name, server) =>
          void action.run(() => api.json("PUT", `${base}/mcp-servers/${segment(name)}`, server).finally(reloadBoth))
        }
      />
      <h2>Tools</h2>
      <ErrorNotice error={tools.error} />
      <ToolCaller
        tools={tools.data?.tools ?? []}
        call={(name, args) => api.jsonRpc(`${base}/tools`, "tools/call", { name, arguments: args })}
        onRefresh={tools.reload}
      />
    </div>
  );
}

function AddServerForm(props: {
  busy: boolean;
  onAdd: (name: string, server: { command: string; args: string[] }) => void;
}) {
  return (
    <InPageForm
      class="grid-form panel"
      label="Add an MCP server"
      onSubmit={(fields, form) => {
        const args = String(fields.get("args") ?? "")
          .split("\n")
          .map((arg) => arg.trim())
          .filter(Boolean);
        props.onAdd(String(fields.get("name")).trim(), { command: String(fields.get("command")).trim(), args });
        form.reset();
      }}
    >
      <label>
        Name <input name="name" required maxLength={48} />
      </label>
      <label>
        Command <input name="command" required placeholder="node" />
      </label>
      <label>
        Arguments (one per line) <textarea name="args" rows={2} placeholder={"server.mjs\nstdio"} />
      </label>
      <div class="actions">
        <button type="submit" disabled={props.busy}>
          Add server
        </button>
      </div>
    </InPageForm>
  );
}

function ToolCaller(props: {
  tools: McpTool[];
  call: (name: string, args: unknown) => Promise<unknown>;
  onRefresh: () => void;
}) {
  const [name, setName] = useState("");
  const [args, setArgs] = useState("{}");
  const [result, setResult] = useState<unknown>();
  const action = useAction();
  const tool = props.tools.find((candidate) => candidate.name === name);
  return (
    <InPageForm
      class="stack panel"
      label="Call a tool"
      onSubmit={() => {
        void action.run(async () => {
          setResult(undefined);
          let parsed: unknown;
          try {
            parsed = JSON.parse(args);
          } catch (error) {
            throw new Error(`the arguments are not JSON: ${(error as Error).message}`);
          }
          setResult(await props.call(name, parsed));
        });
      }}
    >
      <div class="toolbar">
        <label class="grow">
          Tool{" "}
          <select aria-label="Tool" value={name} onChange={(event) => setName(event.currentTarget.value)} required>
            <option value="">choose a tool ({props.tools.length})</option>
            {props.tools.map((candidate) => (
              <option key={candidate.name} value={candidate.name}>
                {candidate.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={props.onRefresh}>
          Refresh tools
        </button>
      </div>
      {tool?.description && <p class="muted">{tool.description}</p>}
      {tool?.inputSchema !== undefined && (
        <details>
          <summary>Input schema</summary>
          <pre>{JSON.stringify(tool.inputSchema, null, 2)}</pre>
        </details>
      )}
      <label>
        Arguments (JSON)
        <textarea
          aria-label="Arguments (JSON)"
          rows={4}
          value={args}
          onInput={(event) => setArgs(event.currentTarget.value)}
          spellcheck={false}
        />
      </label>
      <div class="actions">
        <button type="submit" class="primary" disabled={!name || action.busy}>
          Call tool
        </button>
      </div>
      <ErrorNotice error={action.error} onDismiss={action.clearError} />
      {result !== undefined && (
        <pre class="result" data-testid="tool-result" aria-label="Tool result">
          {JSON.stringify(result, null, 2)}
        </pre>
      )}
    </InPageForm>
  );
}
