/** The terminal: waits for the terminal WebSocket of issue 15 (docs/console.md). */
export function TerminalTab() {
  return (
    <p>
      The terminal needs the server&apos;s terminal WebSocket, which this server does not have yet. Use the Processes
      tab to run commands meanwhile.
    </p>
  );
}
