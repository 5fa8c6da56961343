import type { Reporter, TestModule } from "vitest/node";

/**
 * Ends the run with the "N passed, N failed, N skipped" line that every test
 * step of .ci/run prints and sums. A file that fails to load, and an error
 * thrown outside any test, count as one failure each: no failure goes
 * uncounted because it happened outside a test.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of modules) {
      let tests = 0;
      for (const test of module.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      if (tests === 0 && module.state() === "failed") failed++;
    }
    console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
