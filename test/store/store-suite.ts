/**
 * ONE behaviour suite for every database the store supports (STYLE 4): each
 * dialect's test file calls `runStoreSuite` with its target, or a skip reason.
 */
import { describe } from "node:test";

import { botTests } from "./suite-bots.js";
import { cascadeTests } from "./suite-cascade.js";
import { containerTests } from "./suite-containers.js";
import { eventTests } from "./suite-events.js";
import { mcpServerTests } from "./suite-mcp-servers.js";
import { migrationTests } from "./suite-migrations.js";
import { tokenTests } from "./suite-tokens.js";
import { versionTests } from "./suite-versions.js";
import type { StoreTarget } from "./targets.js";

export function runStoreSuite(name: string, target: () => StoreTarget, options: { skip?: string } = {}): void {
  describe(`store on ${name}`, { skip: options.skip }, () => {
    if (options.skip) return;
    const chosen = target();
    migrationTests(chosen);
    botTests(chosen);
    containerTests(chosen);
    versionTests(chosen);
    eventTests(chosen);
    tokenTests(chosen);
    mcpServerTests(chosen);
    cascadeTests(chosen);
  });
}
