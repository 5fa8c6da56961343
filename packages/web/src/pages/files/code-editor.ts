// CodeMirror 6, in its own chunk: loaded when a file is first opened, so
// the console's first page stays small.
import { css } from "@codemirror/lang-css";
import { html } from "@codemirror/lang-html";
import { javascript } from "@codemirror/lang-javascript";
import { json } from "@codemirror/lang-json";
import { markdown } from "@codemirror/lang-markdown";
import { python } from "@codemirror/lang-python";
import { yaml } from "@codemirror/lang-yaml";
import type { Extension } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { basicSetup, EditorView } from "codemirror";

const LANGUAGES: Record<string, () => Extension> = {
  js: () => javascript(),
  mjs: () => javascript(),
  cjs: () => javascript(),
  jsx: () => javascript({ jsx: true }),
  ts: () => javascript({ typescript: true }),
  tsx: () => javascript({ typescript: true, jsx: true }),
  json: () => json(),
  md: () => markdown(),
  py: () => python(),
  css: () => css(),
  html: () => html(),
  htm: () => html(),
  yaml: () => yaml(),
  yml: () => yaml(),
};

export function createCodeEditor(parent: HTMLElement, text: string, fileName: string, onSave: () => void) {
  const extension = fileName.includes(".") ? fileName.split(".").pop()!.toLowerCase() : "";
  const view = new EditorView({
    parent,
    doc: text,
    extensions: [
      keymap.of([
        {
          key: "Mod-s",
          preventDefault: true,
          run: () => {
            onSave();
            return true;
          },
        },
      ]),
      basicSetup,
      LANGUAGES[extension]?.() ?? [],
    ],
  });
  return { text: () => view.state.doc.toString(), destroy: () => view.destroy() };
}
