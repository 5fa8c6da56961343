import { useState } from "preact/hooks";

import type { FileEntry } from "../../api/types";
import { ConfirmButton } from "../../ui/confirm-button";
import { formatBytes, formatTime } from "../../ui/format";

type SortKey = "name" | "size" | "modTime";

const compare: Record<SortKey, (a: FileEntry, b: FileEntry) => number> = {
  name: (a, b) => a.name.localeCompare(b.name),
  size: (a, b) => a.size - b.size,
  modTime: (a, b) => a.modTime.localeCompare(b.modTime),
};

/**
 * One page of a folder, folders first, sortable by name, size or time.
 * The API pages in name order, so by size or time it is this page that is
 * sorted, and the table says so when there is more than one page.
 */
export function FileTable(props: {
  entries: FileEntry[];
  /** The folder has more than this page. */
  paged: boolean;
  busy: boolean;
  onOpen: (entry: FileEntry) => void;
  onDownload: (entry: FileEntry) => void;
  onRename: (entry: FileEntry, newName: string) => void;
  onDelete: (entry: FileEntry) => void;
}) {
  const [sort, setSort] = useState<{ key: SortKey; ascending: boolean }>({ key: "name", ascending: true });
  const sorted = [...props.entries].sort(
    (a, b) => Number(b.isDir) - Number(a.isDir) || (sort.ascending ? 1 : -1) * compare[sort.key](a, b),
  );
  const header = (key: SortKey, label: string, className?: string) => (
    <th class={className} aria-sort={sort.key === key ? (sort.ascending ? "ascending" : "descending") : "none"}>
      <button
        type="button"
        class="link"
        onClick={() => setSort({ key, ascending: sort.key === key ? !sort.ascending : true })}
      >
        {label}
        {sort.key === key ? (sort.ascending ? " ▲" : " ▼") : ""}
      </button>
    </th>
  );
  return (
    <div class="table-wrap">
      <table aria-label="Files">
        {props.paged && sort.key !== "name" && (
          <caption class="muted">Sorted within this page: the API pages the folder by name.</caption>
        )}
        <thead>
          <tr>
            {header("name", "Name")}
            {header("size", "Size")}
            {header("modTime", "Modified", "hide-narrow")}
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((entry) => (
            <tr key={entry.path} data-path={entry.path}>
              <td>
                <button type="button" class="link" onClick={() => props.onOpen(entry)}>
                  {entry.name}
                  {entry.isDir ? "/" : ""}
                </button>
              </td>
              <td>{entry.isDir ? "—" : formatBytes(entry.size)}</td>
              <td class="hide-narrow">{formatTime(entry.modTime)}</td>
              <td class="actions">
                {!entry.isDir && (
                  <button type="button" disabled={props.busy} onClick={() => props.onDownload(entry)}>
                    Download
                  </button>
                )}
                <RenameButton entry={entry} busy={props.busy} onRename={props.onRename} />
                <ConfirmButton
                  label="Delete"
                  title={`Delete ${entry.path}?`}
                  confirmLabel={entry.isDir ? "Delete folder and contents" : "Delete file"}
                  danger
                  disabled={props.busy}
                  onConfirm={() => props.onDelete(entry)}
                />
              </td>
            </tr>
          ))}
          {sorted.length === 0 && (
            <tr>
              <td colSpan={4}>This folder is empty.</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function RenameButton(props: { entry: FileEntry; busy: boolean; onRename: (entry: FileEntry, name: string) => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(props.entry.name);
  if (!editing)
    return (
      <button type="button" disabled={props.busy} onClick={() => setEditing(true)}>
        Rename
      </button>
    );
  return (
    <form
      class="inline"
      onSubmit={(event) => {
        event.preventDefault();
        setEditing(false);
        if (name.trim() && name !== props.entry.name) props.onRename(props.entry, name.trim());
      }}
      onKeyDown={(event) => event.key === "Escape" && setEditing(false)}
    >
      <input
        aria-label={`New name for ${props.entry.name}`}
        value={name}
        autofocus
        onInput={(event) => setName(event.currentTarget.value)}
      />
      <button type="submit">Save name</button>
    </form>
  );
}
