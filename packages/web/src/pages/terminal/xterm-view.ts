// xterm.js in its own chunk, loaded when a terminal is first opened.
import "@xterm/xterm/css/xterm.css";

import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";

export interface XtermView {
  readonly cols: number;
  readonly rows: number;
  write(data: Uint8Array | string): void;
  fit(): void;
  focus(): void;
  onInput(listener: (data: string) => void): void;
  onResize(listener: (cols: number, rows: number) => void): void;
  dispose(): void;
}

export function createXterm(parent: HTMLElement): XtermView {
  const terminal = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000, convertEol: false });
  const fit = new FitAddon();
  terminal.loadAddon(fit);
  terminal.open(parent);
  fit.fit();
  return {
    get cols() {
      return terminal.cols;
    },
    get rows() {
      return terminal.rows;
    },
    write: (data) => terminal.write(data),
    fit: () => fit.fit(),
    focus: () => terminal.focus(),
    onInput: (listener) => void terminal.onData(listener),
    onResize: (listener) => void terminal.onResize(({ cols, rows }) => listener(cols, rows)),
    dispose: () => terminal.dispose(),
  };
}
