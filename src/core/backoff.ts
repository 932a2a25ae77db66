/**
 * Exponential backoff with FULL jitter (AWS architecture blog, "Exponential Backoff and Jitter"):
 * the delay is uniform in [0, cap) where cap = min(maxDelay, base * multiplier^(attempt-1)).
 * Full jitter spreads retries of many tasks that failed together (a site outage) instead of
 * letting them retry in lock-step. Randomness is injected so tests and the simulator are exact.
 */
export interface BackoffOptions {
  baseDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
}

/** The upper bound of the delay before retry number `attempt` (1 = first retry). */
export function backoffCapMs(attempt: number, opts: BackoffOptions): number {
  const n = Math.max(1, Math.floor(attempt));
  // Computed in floating point; Infinity from a huge exponent is clamped by maxDelayMs.
  const raw = opts.baseDelayMs * Math.pow(opts.multiplier, n - 1);
  return Math.max(0, Math.min(opts.maxDelayMs, Number.isFinite(raw) ? raw : opts.maxDelayMs));
}

/** A full-jitter delay in [0, backoffCapMs(attempt)), in whole milliseconds. */
export function fullJitterDelayMs(attempt: number, rng: () => number, opts: BackoffOptions): number {
  return Math.floor(rng() * backoffCapMs(attempt, opts));
}
