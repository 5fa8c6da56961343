import { defineConfig, mergeConfig } from "vitest/config";

import viteConfig from "./vite.config.ts";

// Component tests (`npm run test:web`): the console's own modules in
// happy-dom, a DOM that runs in Node without a browser. Their files end in
// .spec.ts(x), not .test.ts, because scripts/run-tests.mjs runs every
// *.test.ts with Node's test runner, which cannot load a DOM or JSX.
export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      environment: "happy-dom",
      include: ["src/**/*.spec.{ts,tsx}"],
      setupFiles: ["vitest/setup.ts"],
      reporters: ["default", "./vitest/summary-reporter.ts"],
      // One DOM per worker, not per file: on a loaded 2-core machine the run
      // took 71 s with a fresh happy-dom and module graph per file, 7 s without.
      // vitest/setup.ts empties the page, the storage and the URL after each
      // test, and the stubs are undone, so no test sees another's leftovers.
      isolate: false,
      restoreMocks: true,
      unstubGlobals: true,
    },
  }),
);
