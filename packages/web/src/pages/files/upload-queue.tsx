import { useState } from "preact/hooks";

import { messageOf } from "../../api/api-error";
import { formatBytes } from "../../ui/format";
import { type BotFiles, joinPath } from "./file-api";

interface Upload {
  id: number;
  name: string;
  sent: number;
  total: number;
  state: "uploading" | "done" | "failed";
  error?: string;
  abort: AbortController;
}

let nextId = 0;

/** Uploads files one after another into a folder, each with a progress bar, a cancel button and its error. */
export function useUploads(files: BotFiles, folder: string, onUploaded: () => void) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const update = (id: number, change: Partial<Upload>) =>
    setUploads((all) => all.map((upload) => (upload.id === id ? { ...upload, ...change } : upload)));

  const start = async (picked: FileList | File[]) => {
    for (const file of Array.from(picked)) {
      const upload: Upload = {
        id: nextId++,
        name: file.name,
        sent: 0,
        total: file.size,
        state: "uploading",
        abort: new AbortController(),
      };
      setUploads((all) => [...all, upload]);
      try {
        await files.upload(
          joinPath(folder, file.name),
          file,
          (sent, total) => update(upload.id, { sent, total }),
          upload.abort.signal,
        );
        update(upload.id, { state: "done", sent: file.size });
        onUploaded();
      } catch (error) {
        update(upload.id, { state: "failed", error: messageOf(error) });
      }
    }
  };
  const clearFinished = () => setUploads((all) => all.filter((upload) => upload.state === "uploading"));
  return { uploads, start, clearFinished };
}

export function UploadList(props: { uploads: Upload[]; onClear: () => void }) {
  if (props.uploads.length === 0) return null;
  return (
    <section class="panel uploads" aria-label="Uploads">
      <ul>
        {props.uploads.map((upload) => (
          <li key={upload.id} data-state={upload.state}>
            <span class="name">{upload.name}</span>
            <progress max={upload.total || 1} value={upload.sent} aria-label={`Upload of ${upload.name}`} />
            <span class="muted">
              {formatBytes(upload.sent)} / {formatBytes(upload.total)} {upload.state}
            </span>
            {upload.state === "uploading" && (
              <button type="button" onClick={() => upload.abort.abort()}>
                Cancel
              </button>
            )}
            {upload.error && (
              <span class="error" role="alert">
                {upload.error}
              </span>
            )}
          </li>
        ))}
      </ul>
      <button type="button" onClick={props.onClear}>
        Clear finished
      </button>
    </section>
  );
}
