// Preloaded into the unit tier's test processes (scripts/run-tests.mjs
// --unit): gives Node's test runner the same answer to "which test is this
// code running for?" at a fifth of the cost.
//
// Why: Node 20's runner (internal/test_runner/harness.js) keeps a map from
// every async resource to its test through an async hook with `init` and
// `destroy`. A `destroy` hook makes V8 track the death of every promise (a
// weak handle each), so promise-heavy code (gRPC clients, streams,
// fast-check) runs several times slower inside a test: 300 000 awaits take
// 36 ms of CPU alone and 800 ms inside `test()`. The runner uses the map only
// to find the current test (to attach a nested `it()` or hook to its suite,
// and to fail the right test on an uncaught exception or unhandled
// rejection), and it asks through `executionAsyncId()`.
//
// How: while `node:test` loads, `createHook` and `executionAsyncId` of
// `node:async_hooks` are swapped for versions that carry the owning test the
// way AsyncLocalStorage carries its store: a symbol property set on each new
// resource from the resource that is running (no `destroy`, so no per-promise
// weak handle). The runner still registers each test in its own map (its
// `init` sees every resource of type "Test"), and its `executionAsyncId()`
// answers with the id of the test that owns the running code, which is in
// that map. Both are put back once the runner has loaded, so no other code
// sees them. A timer's throw or an unhandled rejection after an `await` still
// fails the test it came from (checked by hand against the unpatched runner:
// the same report, test for test). Only Node 20 is patched, the version this
// was measured on; another version runs the runner as it is.
import asyncHooks from "node:async_hooks";

if (process.versions.node.split(".")[0] === "20") {
  const { createHook, executionAsyncId, executionAsyncResource } = asyncHooks;
  const owningTest = Symbol("botbox owning test");

  asyncHooks.createHook = function createCarryingHook(callbacks) {
    return createHook({
      init(asyncId, type, triggerAsyncId, resource) {
        if (type === "Test") {
          resource[owningTest] = asyncId;
          callbacks.init?.(asyncId, type, triggerAsyncId, resource);
          return;
        }
        const owner = executionAsyncResource()?.[owningTest];
        if (owner !== undefined) resource[owningTest] = owner;
      },
    });
  };
  asyncHooks.executionAsyncId = function owningTestAsyncId() {
    return executionAsyncResource()?.[owningTest] ?? executionAsyncId();
  };
  try {
    await import("node:test");
  } finally {
    asyncHooks.createHook = createHook;
    asyncHooks.executionAsyncId = executionAsyncId;
  }
}
