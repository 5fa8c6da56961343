import { useEffect, useRef, useState } from "preact/hooks";

import type { ApiClient } from "../../api/client";
import type { OutputEvent, ProcessInfo } from "../../api/types";
import { ErrorNotice } from "../../ui/error-notice";
import { InPageForm } from "../../ui/in-page-form";
import { useAction } from "../../ui/use-resource";

/** Keep the page's memory bounded: only the log's last characters are shown. */
const MAX_LOG_CHARS = 256 * 1024;

const base64Bytes = (data: string) => Uint8Array.from(atob(data), (c) => c.charCodeAt(0));

/**
 * One process's output as it comes (GET …/output?follow=true, NDJSON),
 * from the start of what the supervisor kept; stdin and signals below.
 */
export function ProcessLog(props: { api: ApiClient; base: string; onChange: () => void }) {
  const [text, setText] = useState("");
  const [exit, setExit] = useState<ProcessInfo>();
  const [streamError, setStreamError] = useState<unknown>();
  const [input, setInput] = useState("");
  const action = useAction();
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    // Base64 chunks may end inside a character: one streaming decoder carries the rest to the next chunk.
    const decoder = new TextDecoder();
    const append = (chunk: string) => setText((all) => (all + chunk).slice(-MAX_LOG_CHARS));
    props.api
      .followLines(
        `${props.base}/output?follow=true`,
        (line) => {
          const event = line as OutputEvent;
          if (event.type === "output")
            append(
              event.encoding === "base64" ? decoder.decode(base64Bytes(event.data), { stream: true }) : event.data,
            );
          else if (event.type === "dropped") append(`\n[${event.to - event.from} bytes dropped by the output cap]\n`);
          else if (event.type === "exit") {
            setExit(event.process);
            props.onChange();
          } else if (event.type === "error") setStreamError(new Error(event.message));
        },
        abort.signal,
      )
      .catch((error: unknown) => {
        if (!abort.signal.aborted) setStreamError(error);
      });
    return () => abort.abort();
  }, [props.base]);

  useEffect(() => {
    const element = pre.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [text]);

  const signal = (name: string) =>
    action.run(async () => {
      await props.api.json("POST", `${props.base}/signal`, { signal: name });
      props.onChange();
    });

  return (
    <section class="panel stack" aria-label="Process output">
      <div class="toolbar">
        <strong class="grow">Output of {props.base.split("/").pop()}</strong>
        {exit && (
          <span role="status">
            exited {exit.exit_code !== undefined ? `with ${exit.exit_code}` : ""} {exit.signal ?? ""}
          </span>
        )}
        <button type="button" disabled={action.busy || !!exit} onClick={() => void signal("TERM")}>
          Stop (TERM)
        </button>
        <button type="button" class="danger" disabled={action.busy || !!exit} onClick={() => void signal("KILL")}>
          Kill
        </button>
      </div>
      <pre ref={pre} class="log" data-testid="process-log" tabIndex={0}>
        {text}
      </pre>
      <InPageForm
        class="toolbar"
        onSubmit={() => {
          const line = `${input}\n`;
          void action.run(async () => {
            await props.api.send("POST", `${props.base}/stdin`, new Blob([line]), { contentType: "text/plain" });
            setInput("");
          });
        }}
      >
        <input
          class="grow"
          aria-label="Send to stdin"
          placeholder="a line for stdin"
          value={input}
          disabled={!!exit}
          onInput={(event) => setInput(event.currentTarget.value)}
        />
        <button type="submit" disabled={!!exit || action.busy}>
          Send
        </button>
        <button
          type="button"
          disabled={!!exit || action.busy}
          onClick={() => void action.run(() => props.api.json("POST", `${props.base}/stdin/close`, {}))}
        >
          Close stdin
        </button>
      </InPageForm>
      <ErrorNotice error={streamError} />
      <ErrorNotice error={action.error} onDismiss={action.clearError} />
    </section>
  );
}
