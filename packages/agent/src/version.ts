declare const __BOTBOX_AGENT_VERSION__: string | undefined;

/** Set by the bundler from packages/agent/package.json; "dev" when run from source. */
export const AGENT_VERSION: string =
  typeof __BOTBOX_AGENT_VERSION__ === "string" ? __BOTBOX_AGENT_VERSION__ : "0.0.0-dev";
