/**
 * For the crash tests only (test/runtime/sandbox-crash.test.ts): with
 * BOTBOX_TEST_CRASH_AT=<step>, the process kills itself with SIGKILL when it
 * reaches that step of a state change, as a server crash would stop it there.
 */
export function crashPoint(step: string): void {
  if (process.env.BOTBOX_TEST_CRASH_AT === step) process.kill(process.pid, "SIGKILL");
}
