/**
 * The delay before the init starts a dead agent again: doubling from
 * `initialMs` up to `maxMs` while the agent keeps dying soon after its start,
 * back to `initialMs` once one ran for `steadyMs`. Bounded, so a crash loop
 * costs little CPU and an agent that died once is back at once.
 */
export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
  steadyMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { initialMs: 250, maxMs: 8_000, steadyMs: 30_000 };

export class RestartBackoff {
  private nextMs: number;

  constructor(private readonly settings: BackoffSettings = DEFAULT_BACKOFF) {
    this.nextMs = settings.initialMs;
  }

  /** The wait before the next start, given how long the agent that just died ran. */
  delayAfter(ranMs: number): number {
    if (ranMs >= this.settings.steadyMs) this.nextMs = this.settings.initialMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, this.settings.maxMs);
    return delay;
  }
}
