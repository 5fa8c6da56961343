/** How the start-up loader (code-cache-start.ts) lets a running server write the code cache. */
export const CODE_CACHE_HOOK = Symbol.for("botbox.codeCache");

export interface CodeCacheHook {
  /** What this start found: a cache V8 took, one it rejected, or none. */
  readonly state: "used" | "rejected" | "none";
  /** No usable cache was loaded: one should be written. */
  readonly wanted: boolean;
  /** Writes the cache of the code compiled so far; never throws. */
  write(): void;
}

/** The hook, when botbox runs from its bundle through the loader (not under tsx). */
export function codeCacheHook(): CodeCacheHook | undefined {
  return (globalThis as Record<symbol, CodeCacheHook | undefined>)[CODE_CACHE_HOOK];
}
