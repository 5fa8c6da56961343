import { useMemo, useState } from "preact/hooks";

import type { FileEntry } from "../../api/types";
import { ErrorNotice } from "../../ui/error-notice";
import { InPageForm } from "../../ui/in-page-form";
import { Pager } from "../../ui/pager";
import { useAction, useResource } from "../../ui/use-resource";
import type { TabProps } from "../bot-page";
import { BotFiles, joinPath, parentOf } from "./file-api";
import { FileEditor } from "./file-editor";
import { FileTable } from "./file-table";
import { UploadList, useUploads } from "./upload-queue";

const PAGE_SIZE = 200;

/** /data (or any folder): browse a page at a time, upload by dropping files, and open text files to edit. */
export function FilesTab({ session, bot }: TabProps) {
  const files = useMemo(() => new BotFiles(session.api, bot.id), [session.api, bot.id]);
  const [folder, setFolder] = useState("/data");
  // Cursors of the pages before this one, for Previous; undefined is the first page.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useResource(() => files.list(folder, cursor, PAGE_SIZE), [files, folder, cursor]);
  const [editing, setEditing] = useState<FileEntry>();
  const [dragging, setDragging] = useState(false);
  const action = useAction();
  const uploads = useUploads(files, folder, page.reload);

  const open = (path: string) => {
    setFolder(path);
    setCursors([undefined]);
    setEditing(undefined);
  };
  const act = (work: () => Promise<unknown>) => action.run(() => work().finally(page.reload));

  if (editing) return <FileEditor files={files} entry={editing} onClose={() => setEditing(undefined)} />;
  return (
    <div
      class={`stack drop-zone${dragging ? " dragging" : ""}`}
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        event.preventDefault();
        setDragging(false);
        if (event.dataTransfer?.files.length) void uploads.start(event.dataTransfer.files);
      }}
    >
      <InPageForm
        class="toolbar"
        onSubmit={(fields) => {
          const target = fields.get("folder");
          if (typeof target === "string" && target.trim()) open(target.trim());
        }}
      >
        <button
          type="button"
          aria-label="Parent folder"
          onClick={() => open(parentOf(folder))}
          disabled={folder === "/"}
        >
          Up
        </button>
        <label class="grow">
          <span class="visually-hidden">Folder</span>
          <input name="folder" value={folder} key={folder} aria-label="Folder path" />
        </label>
        <button type="submit">Go</button>
        <button type="button" onClick={page.reload}>
          Refresh
        </button>
      </InPageForm>
      <div class="toolbar">
        <label class="button">
          Upload files
          <input
            type="file"
            multiple
            class="visually-hidden"
            onChange={(event) => {
              const picked = event.currentTarget.files;
              if (picked?.length) void uploads.start(Array.from(picked));
              event.currentTarget.value = "";
            }}
          />
        </label>
        <NewFolder onCreate={(name) => act(() => files.mkdir(joinPath(folder, name)))} />
        <span class="muted">or drop files here</span>
      </div>
      <UploadList uploads={uploads.uploads} onClear={uploads.clearFinished} />
      <ErrorNotice error={page.error} />
      <ErrorNotice error={action.error} onDismiss={action.clearError} />
      <FileTable
        entries={page.data?.entries ?? []}
        paged={cursors.length > 1 || !!page.data?.nextCursor}
        busy={action.busy}
        onOpen={(entry) => (entry.isDir ? open(entry.path) : setEditing(entry))}
        onDownload={(entry) => act(() => files.download(entry.path))}
        onRename={(entry, name) => act(() => files.rename(entry.path, joinPath(parentOf(entry.path), name)))}
        onDelete={(entry) => act(() => files.delete(entry.path, entry.isDir))}
      />
      <Pager
        page={cursors.length}
        hasNext={!!page.data?.nextCursor}
        onPrevious={() => setCursors(cursors.slice(0, -1))}
        onNext={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}
      />
    </div>
  );
}

function NewFolder(props: { onCreate: (name: string) => void }) {
  const [name, setName] = useState("");
  return (
    <InPageForm
      class="inline"
      onSubmit={() => {
        if (name.trim()) props.onCreate(name.trim());
        setName("");
      }}
    >
      <input
        aria-label="New folder name"
        placeholder="new folder"
        value={name}
        onInput={(event) => setName(event.currentTarget.value)}
      />
      <button type="submit" disabled={!name.trim()}>
        Create folder
      </button>
    </InPageForm>
  );
}
