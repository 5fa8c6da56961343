import { useEffect, useRef, useState } from "preact/hooks";

import type { FileEntry } from "../../api/types";
import { ErrorNotice } from "../../ui/error-notice";
import { formatBytes } from "../../ui/format";
import { useAction } from "../../ui/use-resource";
import type { BotFiles } from "./file-api";

/** Past this, a file is offered as a download instead: an editor holds its whole text. */
const MAX_EDIT_BYTES = 4 * 2 ** 20;

interface Editor {
  text(): string;
  destroy(): void;
}

/** A text file in CodeMirror (loaded on first use), saved with the button or Ctrl-S. */
export function FileEditor(props: { files: BotFiles; entry: FileEntry; onClose: () => void }) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<Editor>();
  const [loadError, setLoadError] = useState<unknown>();
  const [ready, setReady] = useState(false);
  const [saved, setSaved] = useState<string>();
  const save = useAction();
  const tooLarge = props.entry.size > MAX_EDIT_BYTES;

  useEffect(() => {
    if (tooLarge) return;
    let cancelled = false;
    void Promise.all([props.files.readText(props.entry.path), import("./code-editor")])
      .then(([file, { createCodeEditor }]) => {
        if (cancelled || !host.current) return;
        editor.current = createCodeEditor(host.current, file.content, props.entry.name, () => void doSave());
        setReady(true);
      })
      .catch((error: unknown) => !cancelled && setLoadError(error));
    return () => {
      cancelled = true;
      editor.current?.destroy();
    };
  }, [props.entry.path]);

  const doSave = () =>
    save.run(async () => {
      if (!editor.current) return;
      await props.files.writeText(props.entry.path, editor.current.text());
      setSaved(new Date().toLocaleTimeString());
    });

  return (
    <div class="stack">
      <div class="toolbar">
        <button type="button" onClick={props.onClose}>
          Back to the folder
        </button>
        <strong class="grow">{props.entry.path}</strong>
        {saved && (
          <span class="muted" role="status">
            Saved at {saved}
          </span>
        )}
        <button type="button" class="primary" disabled={!ready || save.busy} onClick={() => void doSave()}>
          Save
        </button>
        <button type="button" onClick={() => void props.files.download(props.entry.path).catch(setLoadError)}>
          Download
        </button>
      </div>
      {tooLarge && (
        <p>This file is {formatBytes(props.entry.size)}: too large to edit in the browser. Download it instead.</p>
      )}
      <ErrorNotice error={loadError} />
      <ErrorNotice error={save.error} onDismiss={save.clearError} />
      <div ref={host} class="editor" aria-label={`Contents of ${props.entry.name}`} />
    </div>
  );
}
