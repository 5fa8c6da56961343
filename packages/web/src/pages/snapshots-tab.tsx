import { useState } from "preact/hooks";

import { segment } from "../api/client";
import type { SignedUrl, Snapshot } from "../api/types";
import { ConfirmButton } from "../ui/confirm-button";
import { DataTable } from "../ui/data-table";
import { ErrorNotice } from "../ui/error-notice";
import { formatBytes, formatTime } from "../ui/format";
import { InPageForm } from "../ui/in-page-form";
import { useAction, useResource } from "../ui/use-resource";
import type { TabProps } from "./bot-page";

/** Snapshots of the bot's writable state, roll back to one, and /data out and in as tar.gz. */
export function SnapshotsTab({ session, bot, refresh }: TabProps) {
  const { api } = session;
  const base = `/bots/${segment(bot.id)}/container`;
  const list = useResource(() => api.json<{ snapshots: Snapshot[] }>("GET", `${base}/snapshots`), [api, bot.id]);
  const [label, setLabel] = useState("");
  const [done, setDone] = useState<string>();
  const action = useAction();
  const act = (work: () => Promise<string>) =>
    action.run(async () => {
      setDone(undefined);
      try {
        setDone(await work());
      } finally {
        list.reload();
        refresh();
      }
    });
  return (
    <div class="stack">
      <InPageForm
        class="toolbar"
        label="Take a snapshot"
        onSubmit={() => {
          void act(async () => {
            const created = await api.json<{ version: number | null }>(
              "POST",
              `${base}/snapshots`,
              label.trim() ? { display_name: label.trim() } : {},
            );
            setLabel("");
            return `Snapshot taken${created.version ? ` (version ${created.version})` : ""}.`;
          });
        }}
      >
        <input
          class="grow"
          aria-label="Snapshot label (optional)"
          placeholder="label (optional)"
          value={label}
          onInput={(event) => setLabel(event.currentTarget.value)}
        />
        <button type="submit" class="primary" disabled={action.busy}>
          Take snapshot
        </button>
      </InPageForm>
      {done && <p role="status">{done}</p>}
      <ErrorNotice error={action.error} onDismiss={action.clearError} />
      <ErrorNotice error={list.error} />
      <DataTable
        label="Snapshots"
        columns={["Version", "Label", "Taken", "Source", "Actions"]}
        rows={list.data?.snapshots}
        row={(snapshot) => (
          <tr key={snapshot.name} data-version={snapshot.version ?? ""}>
            <td>{snapshot.version ?? "—"}</td>
            <td>{snapshot.display_name ?? snapshot.name}</td>
            <td>{formatTime(snapshot.created_at)}</td>
            <td>{snapshot.source}</td>
            <td>
              {snapshot.version !== null && (
                <ConfirmButton
                  label="Roll back"
                  title={`Roll back to version ${snapshot.version}?`}
                  confirmLabel={`Roll back to version ${snapshot.version}`}
                  danger
                  disabled={action.busy}
                  onConfirm={() =>
                    void act(async () => {
                      await api.json("POST", `${base}/rollback`, { version: snapshot.version });
                      return `Rolled back to version ${snapshot.version}.`;
                    })
                  }
                >
                  <p>The bot&apos;s writable state goes back to this snapshot; changes since are lost.</p>
                </ConfirmButton>
              )}
            </td>
          </tr>
        )}
        empty="No snapshots yet."
      />
      <DataTransfer base={base} session={session} act={act} busy={action.busy} />
    </div>
  );
}

function DataTransfer(props: {
  base: string;
  session: TabProps["session"];
  act: (work: () => Promise<string>) => void;
  busy: boolean;
}) {
  const [replace, setReplace] = useState(false);
  const [progress, setProgress] = useState<{ sent: number; total: number }>();
  const { api } = props.session;
  return (
    <section class="panel stack" aria-label="Export and import /data">
      <h2>/data as tar.gz</h2>
      <div class="toolbar">
        <button
          type="button"
          disabled={props.busy}
          onClick={() =>
            props.act(async () => {
              // A signed link, so the browser streams the archive to disk.
              const link = await api.json<SignedUrl>("POST", `${props.base}/export-link`, {});
              location.assign(link.path);
              return "Export started: the browser saves the archive.";
            })
          }
        >
          Export /data
        </button>
        <label class="button">
          Import archive…
          <input
            type="file"
            accept=".tar.gz,.tgz,application/gzip"
            class="visually-hidden"
            disabled={props.busy}
            onChange={(event) => {
              const file = event.currentTarget.files?.[0];
              event.currentTarget.value = "";
              if (!file) return;
              props.act(async () => {
                setProgress({ sent: 0, total: file.size });
                try {
                  await api.send("POST", `${props.base}/import?replace=${replace}`, file, {
                    contentType: "application/gzip",
                    onProgress: (sent, total) => setProgress({ sent, total }),
                  });
                } finally {
                  setProgress(undefined);
                }
                return `Imported ${file.name} into /data.`;
              });
            }}
          />
        </label>
        <label class="check">
          <input type="checkbox" checked={replace} onChange={(event) => setReplace(event.currentTarget.checked)} />
          Replace /data (else merge)
        </label>
      </div>
      {progress && (
        <p>
          <progress max={progress.total || 1} value={progress.sent} aria-label="Import progress" />{" "}
          {formatBytes(progress.sent)} / {formatBytes(progress.total)}
        </p>
      )}
    </section>
  );
}
