import type { BackendState, Outcome } from './types.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './time.js';

/**
 * Quotas that learn, pure. All state lives in BackendState (so in the checkpoint); the configured
 * limits live in QuotaOptions and are never overwritten (a learned estimate sits beside them, so a
 * bad hour cannot shrink them for good). Every function returns a new BackendState with its time
 * lists pruned; inputs are never mutated.
 *
 * Learning (AIMD with a remembered ceiling):
 *  - On a rate limit, `used` requests are in our sliding hour, the last one refused. The site
 *    therefore allowed `observed = used - 1` (every request it accepted counts, also those that
 *    then failed with a site error or a timeout: a site counts the prompts it took, not the
 *    answers we liked). `observed` is kept as `learnedCap`.
 *  - The first hit, or a hit clearly below the learned cap (the site lowered its limit), sets the
 *    estimate to max(1, min(floor(current * decreaseFactor), observed)): the multiplicative
 *    decrease keeps us safe, and `observed` gets a far-too-high configured limit right in one hit
 *    instead of log(limit/cap) hits.
 *  - A hit at or above the learned cap (observed ≥ learnedCap - 1) is the periodic probe: it
 *    confirms the cap (or finds a raised one), so the estimate becomes `observed` with no cut.
 *    Cutting there threw away a fifth of the rate for hours after every probe.
 *  - After each full clean hour the estimate grows by increasePerCleanHour, up to the configured
 *    limit, but not above `learnedCap` until `capHoldUntil`. The hold is 24 h after a new cap and
 *    doubles (up to 7 days) each time the probe after a hold is refused at the same level: a
 *    stable hidden cap costs one hit a day at first, then fewer (the goal is ≤ 1 per day),
 *    while a raised site limit is still discovered within a week, a lowered one at once.
 *  - A refused DEEP request may be the daily deep-mode cap rather than the hourly one. It is read
 *    as the deep cap when the site's reset time is more than an hour away, or (no reset time) when
 *    our hour is clearly below the hourly estimate; then only today's deep quota is closed and
 *    nothing hourly is learned. Otherwise it is an hourly hit like any other.
 */
export interface QuotaOptions {
  hourlyLimit: number;
  deepDailyLimit: number;
  /** UTC hour at which the deep-mode day starts. */
  dayResetHour: number;
  decreaseFactor: number;
  increasePerCleanHour: number;
  /** Wait after a rate limit that named no reset time. */
  backoffMs: number;
}

/** What the caller knows about the request besides its outcome (all optional, for compatibility). */
export interface OutcomeFacts {
  /** A deep-mode request: a rate limit may be the daily deep cap. */
  deep?: boolean;
  /** false: the prompt never reached the site (page did not load). Absent counts as sent. */
  sent?: boolean;
  /**
   * The site said so in words: the refusal is for deep mode only ("your limit for chats with Deep
   * Think"). Deep mode closes until `resetAt` (at least to the end of the quota day); nothing hourly
   * is learned.
   */
  deepOnly?: boolean;
}

export interface QuotaView {
  requestsThisHour: number;
  hourlyLimit: number;
  effectiveHourly: number;
  remaining: number;
  deepUsedToday: number;
  deepDailyLimit: number;
  deepRemaining: number;
  rateLimitedUntil: string | null;
  /** Until when the backend is skipped because its site did not load (null when reachable). */
  unreachableUntil: string | null;
  status: 'available' | 'rateLimited' | 'needsHuman' | 'unreachable' | 'exhausted';
  /** When `remaining` next becomes ≥ 1 by the sliding hour alone (null when remaining > 0). */
  nextFreeAt: string | null;
}

export const RATE_LIMIT_MEMORY_MS = DAY_MS;
export const CAP_HOLD_MIN_MS = DAY_MS;
export const CAP_HOLD_MAX_MS = 7 * DAY_MS;
/**
 * A site that did not load twice in a row is skipped for UNREACHABLE_BASE_MS, doubling with each
 * further failure up to UNREACHABLE_MAX_MS. One failure is free: a single page that did not load
 * is common and says nothing. Without this the most-remaining-quota rule sends task after task
 * to a site in an outage (its rolled-back quota makes it look the least used).
 */
export const UNREACHABLE_BASE_MS = MINUTE_MS;
export const UNREACHABLE_MAX_MS = 10 * MINUTE_MS;

/** `YYYY-MM-DDTHH`: the UTC hour a request started in (the key of BackendState.requestsByHour). */
export function hourKey(at: Date): string {
  return at.toISOString().slice(0, 13);
}

/** Hours kept in requestsByHour: the last 24 and the current one. */
const HOURS_KEPT = 25;

/** `hours` with `delta` added in the hour of `at`, pruned to the last HOURS_KEPT hours before `at`. */
function countInHour(hours: Readonly<Record<string, number>> | null | undefined, at: Date, delta: number): Record<string, number> {
  const from = hourKey(new Date(at.getTime() - (HOURS_KEPT - 1) * HOUR_MS));
  const out: Record<string, number> = {};
  for (const [h, n] of Object.entries(hours ?? {})) if (h >= from) out[h] = n;
  const k = hourKey(at);
  out[k] = Math.max(0, (out[k] ?? 0) + delta);
  return out;
}

/**
 * Requests started in the 24 h before `now`, to the hour: the hour 24 h ago counts whole. Hours
 * after `now` (the clock went backwards) count too.
 */
export function requestsLast24h(b: BackendState, now: Date): number {
  const from = hourKey(new Date(now.getTime() - DAY_MS));
  return Object.entries(b.requestsByHour ?? {}).reduce((s, [h, n]) => (h >= from ? s + n : s), 0);
}

/** Deep uses in the quota day of `now` (0 once the day has rolled over). */
export function deepUsedToday(b: BackendState, now: Date, dayResetHour: number): number {
  return deepUsedOn(b, deepDayKey(now, dayResetHour));
}

/** The quota day of `now`: the UTC date of (now - resetHour), as YYYY-MM-DD. */
export function deepDayKey(now: Date, dayResetHour: number): string {
  return new Date(now.getTime() - dayResetHour * HOUR_MS).toISOString().slice(0, 10);
}

/**
 * Requests still counted at `now`. Entries later than `now` (the clock went backwards) are kept:
 * counting them is the conservative choice, they cannot make us exceed a limit.
 */
function pruneSince(times: readonly string[], now: Date, windowMs: number): string[] {
  const from = now.getTime() - windowMs;
  return times.filter((t) => Date.parse(t) > from);
}

/** Deep uses counted today. A stored day *after* today (clock went backwards) still counts. */
function deepUsedOn(b: BackendState, day: string): number {
  return b.deepDay !== null && b.deepDay >= day ? b.deepUsed : 0;
}

/** The estimate in force: the learned one, never above the configured limit. */
function effectiveOf(b: BackendState, opts: QuotaOptions): number {
  return Math.min(b.effectiveHourly ?? opts.hourlyLimit, opts.hourlyLimit);
}

function pruned(b: BackendState, now: Date): BackendState {
  return {
    ...b,
    recent: pruneSince(b.recent, now, HOUR_MS),
    rateLimitHits: pruneSince(b.rateLimitHits, now, RATE_LIMIT_MEMORY_MS),
  };
}

/** The learned ceiling in force at `now`, or null once its hold has ended. */
export function heldCap(b: BackendState, now: Date): number | null {
  const until = b.capHoldUntil ? Date.parse(b.capHoldUntil) : NaN;
  return b.learnedCap !== null && b.learnedCap !== undefined && until > now.getTime() ? b.learnedCap : null;
}

/**
 * Recorded optimistically BEFORE sending, so two ticks never both see the last free slot. Pass
 * `module` for deep requests so per-module deep reserves can be honoured (allocator).
 */
export function recordRequest(b: BackendState, deep: boolean, now: Date, opts: QuotaOptions, module?: string): BackendState {
  const p = pruned(b, now);
  const out: BackendState = {
    ...p,
    recent: [...p.recent, now.toISOString()],
    totalRequests: b.totalRequests + 1,
    requestsByHour: countInHour(b.requestsByHour, now, 1),
  };
  if (module !== undefined) out.requestsByModule = { ...(b.requestsByModule ?? {}), [module]: (b.requestsByModule?.[module] ?? 0) + 1 };
  if (deep) {
    const day = deepDayKey(now, opts.dayResetHour);
    const keep = b.deepDay !== null && b.deepDay > day; // clock went backwards: never regress the day
    out.deepDay = keep ? b.deepDay : day;
    out.deepUsed = deepUsedOn(b, day) + 1;
    const byModule = deepUsedOn(b, day) > 0 ? { ...(b.deepByModule ?? {}) } : {};
    if (module !== undefined) byModule[module] = (byModule[module] ?? 0) + 1;
    out.deepByModule = byModule;
  }
  return out;
}

/** Deep uses of `module` in the quota day of `now` (0 when not tracked). */
export function deepUsedByModule(b: BackendState, module: string, now: Date, opts: QuotaOptions): number {
  return deepUsedOn(b, deepDayKey(now, opts.dayResetHour)) > 0 ? (b.deepByModule?.[module] ?? 0) : 0;
}

/**
 * The request recorded at `at` failed before it was sent (no session, page never loaded): give the
 * slot back. Removes one entry equal to `at` (none if it was already pruned) and the deep use if it
 * is still in the same quota day.
 */
export function rollbackRequest(b: BackendState, deep: boolean, at: Date, opts: QuotaOptions, module?: string): BackendState {
  const iso = at.toISOString();
  const idx = b.recent.lastIndexOf(iso);
  const recent = idx < 0 ? [...b.recent] : [...b.recent.slice(0, idx), ...b.recent.slice(idx + 1)];
  const out: BackendState = { ...b, recent, totalRequests: Math.max(0, b.totalRequests - 1) };
  if (b.requestsByHour?.[hourKey(at)]) out.requestsByHour = countInHour(b.requestsByHour, at, -1);
  const sent = module !== undefined ? b.requestsByModule?.[module] : undefined;
  if (module !== undefined && sent !== undefined) out.requestsByModule = { ...b.requestsByModule, [module]: Math.max(0, sent - 1) };
  if (deep && b.deepDay === deepDayKey(at, opts.dayResetHour)) {
    out.deepUsed = Math.max(0, b.deepUsed - 1);
    const used = module !== undefined ? b.deepByModule?.[module] : undefined;
    if (module !== undefined && used !== undefined) out.deepByModule = { ...b.deepByModule, [module]: Math.max(0, used - 1) };
  }
  return out;
}

/**
 * Learns from the outcome of a request. Outcomes other than ok/rateLimited/loginRequired/
 * challenge/accountBlocked (siteError, empty, truncated, timeout, notSent, overloaded) say nothing
 * about quota: only pruning happens,
 * except that a request that never reached the site (`facts.sent === false`) counts towards
 * marking the site unreachable, and any request that did reach it clears that mark.
 * `facts.deep`: a deep-mode request, so a rate limit may be the daily deep cap (see above);
 * `facts.deepOnly`: the site said the refusal is for deep mode only.
 */
export function recordOutcome(
  b: BackendState,
  outcome: Outcome,
  resetAt: Date | null,
  now: Date,
  opts: QuotaOptions,
  bundle: string | null = null,
  facts: OutcomeFacts = {},
): BackendState {
  const p = reachability(pruned(b, now), outcome, facts.sent !== false, now);
  const at = now.toISOString();
  switch (outcome) {
    case 'rateLimited': {
      if (facts.deepOnly === true) return closeDeepDay(p, now, opts, resetAt);
      if (facts.deep === true && isDeepCapRefusal(p, resetAt, now, opts)) return closeDeepDay(p, now, opts);
      const used = p.recent.length;
      const observed = Math.max(1, used - 1);
      const prevCap = p.learnedCap ?? null;
      // The same cap again, give or take the one refused request that may still be in our window:
      // the site has not changed, so hold it twice as long. A different cap starts over at 24 h.
      const confirmed = prevCap !== null && Math.abs(observed - prevCap) <= 1;
      // At or above the learned cap: the probe found the ceiling (the same or a raised one), and
      // `observed` is what the site accepts. Below it: the site lowered its limit, cut as AIMD says.
      // A second hit within the hour is never a probe: our model of the site is wrong somewhere.
      const hitLastHour = p.rateLimitHits.some((h) => Date.parse(h) > now.getTime() - HOUR_MS);
      const probe = prevCap !== null && observed >= prevCap - 1 && !hitLastHour;
      const effective = probe ? observed : Math.min(Math.floor(effectiveOf(p, opts) * opts.decreaseFactor), observed);
      const until = rateLimitEnd(p.recent, Math.max(1, effective), probe, resetAt, now, opts);
      const holdMs = confirmed ? Math.min(CAP_HOLD_MAX_MS, 2 * (p.capHoldMs ?? CAP_HOLD_MIN_MS)) : CAP_HOLD_MIN_MS;
      return {
        ...p,
        effectiveHourly: Math.max(1, effective),
        learnedCap: confirmed && prevCap !== null ? Math.max(prevCap, observed) : observed,
        capHoldMs: holdMs,
        capHoldUntil: new Date(now.getTime() + holdMs).toISOString(),
        rateLimitedUntil: until.toISOString(),
        rateLimitHits: [...p.rateLimitHits, at],
        cleanSince: null,
      };
    }
    case 'ok': {
      const out: BackendState = { ...p, needsHuman: null };
      if (p.rateLimitedUntil !== null && Date.parse(p.rateLimitedUntil) <= now.getTime()) out.rateLimitedUntil = null;
      if (p.cleanSince === null || Date.parse(p.cleanSince) > now.getTime()) {
        // First clean answer (or the clock went backwards past it): start counting clean hours now.
        out.cleanSince = at;
        return out;
      }
      const hours = Math.floor((now.getTime() - Date.parse(p.cleanSince)) / HOUR_MS);
      if (hours < 1) return out;
      // Advance by whole hours only, so a partial hour keeps counting towards the next increase.
      out.cleanSince = new Date(Date.parse(p.cleanSince) + hours * HOUR_MS).toISOString();
      if (p.effectiveHourly === null) return out;
      const cap = heldCap(p, now);
      const ceiling = cap !== null ? Math.min(opts.hourlyLimit, Math.max(cap, p.effectiveHourly)) : opts.hourlyLimit;
      const raised = Math.min(ceiling, p.effectiveHourly + hours * opts.increasePerCleanHour);
      // Back at the configured limit: drop the estimate so a later config change applies at once.
      out.effectiveHourly = raised >= opts.hourlyLimit ? null : raised;
      return out;
    }
    case 'loginRequired':
    case 'challenge':
    case 'accountBlocked': {
      // The backend is parked, not the task: keep the first `since` while the same problem lasts.
      const same = p.needsHuman?.reason === outcome;
      return {
        ...p,
        needsHuman: same && p.needsHuman ? p.needsHuman : { reason: outcome, since: at, bundle },
      };
    }
    default:
      return p;
  }
}

/** Outcomes only a loaded page can give, sent or not: they prove the site is up. */
const PAGE_LOADED_OUTCOMES: ReadonlySet<Outcome> = new Set(['rateLimited', 'loginRequired', 'challenge', 'accountBlocked', 'notSent', 'overloaded']);

/**
 * Tracks failures to reach the site. The fields are only written when something changes, so a
 * healthy backend's state (and the checkpoint bytes) stays as it was. A rate limit or a
 * needs-human wall is read on the loaded page (even when nothing was typed), so it proves the site
 * is up.
 */
function reachability(p: BackendState, outcome: Outcome, sent: boolean, now: Date): BackendState {
  const reached = sent || PAGE_LOADED_OUTCOMES.has(outcome);
  if (reached) {
    if (p.unreachableUntil === undefined && p.unreachableStreak === undefined) return p;
    const { unreachableUntil: _u, unreachableStreak: _s, ...rest } = p;
    return rest;
  }
  const streak = (p.unreachableStreak ?? 0) + 1;
  if (streak < 2) return { ...p, unreachableStreak: streak };
  const ms = Math.min(UNREACHABLE_MAX_MS, UNREACHABLE_BASE_MS * 2 ** (streak - 2));
  return { ...p, unreachableStreak: streak, unreachableUntil: new Date(now.getTime() + ms).toISOString() };
}

/**
 * Until when a rate-limited backend rests. The site's own reset time wins. Without one: after a
 * probe that matched the learned cap, the site is known to count the same sliding hour as we do,
 * so it accepts again when our window has a free slot under the new estimate (our window still
 * holds the refused request, one slot of margin); never later than the backoff. Otherwise the
 * backoff.
 */
function rateLimitEnd(recent: readonly string[], effective: number, probe: boolean, resetAt: Date | null, now: Date, opts: QuotaOptions): Date {
  if (resetAt && resetAt.getTime() > now.getTime()) return resetAt;
  const backoff = now.getTime() + opts.backoffMs;
  if (!probe) return new Date(backoff);
  // To hold effective - 1 entries, the (used - effective + 1) oldest must leave the window.
  const sorted = recent.map((t) => Date.parse(t)).sort((x, y) => x - y);
  const leaving = sorted[Math.max(0, sorted.length - effective)];
  const free = leaving === undefined ? now.getTime() : leaving + HOUR_MS;
  return new Date(Math.min(backoff, Math.max(now.getTime(), free)));
}

/**
 * Whether a refused deep request hit the daily deep-mode cap rather than the hourly limit: the
 * site named a reset more than an hour away (an hourly limit lifts within the hour), or it named
 * none and our hour (the refused request aside) is more than one below the hourly ceiling we
 * believe in (the learned cap, else the estimate), so the hourly limit cannot explain it.
 */
export function isDeepCapRefusal(b: BackendState, resetAt: Date | null, now: Date, opts: QuotaOptions): boolean {
  if (resetAt !== null && resetAt.getTime() > now.getTime()) return resetAt.getTime() - now.getTime() > HOUR_MS;
  const observed = pruneSince(b.recent, now, HOUR_MS).length - 1;
  const ceiling = Math.min(b.learnedCap ?? Number.POSITIVE_INFINITY, effectiveOf(b, opts));
  return observed < ceiling - 1;
}

/**
 * The deep cap is reached: no deep request until the quota day ends, or until `until` when the
 * site named a later time. Hourly state is untouched.
 */
function closeDeepDay(p: BackendState, now: Date, opts: QuotaOptions, until: Date | null = null): BackendState {
  const day = deepDayKey(now, opts.dayResetHour);
  const keep = p.deepDay !== null && p.deepDay > day; // clock went backwards: never regress the day
  const usedToday = deepUsedOn(p, day);
  const out: BackendState = {
    ...p,
    deepDay: keep ? p.deepDay : day,
    deepUsed: Math.max(usedToday, opts.deepDailyLimit),
    deepByModule: usedToday > 0 ? { ...(p.deepByModule ?? {}) } : {},
    rateLimitHits: [...p.rateLimitHits, now.toISOString()],
  };
  if (until !== null && until.getTime() > now.getTime()) out.deepBlockedUntil = until.toISOString();
  return out;
}

/** Whether the site's own "deep mode until …" still holds at `now`. */
function deepBlocked(b: BackendState, now: Date): boolean {
  return b.deepBlockedUntil !== undefined && b.deepBlockedUntil !== null && Date.parse(b.deepBlockedUntil) > now.getTime();
}

/** A human fixed the backend (fano login succeeded): it may be used again. */
export function clearNeedsHuman(b: BackendState): BackendState {
  return { ...b, needsHuman: null };
}

export function quotaView(b: BackendState, now: Date, opts: QuotaOptions): QuotaView {
  const recent = pruneSince(b.recent, now, HOUR_MS);
  const effectiveHourly = effectiveOf(b, opts);
  const requestsThisHour = recent.length;
  const remaining = Math.max(0, effectiveHourly - requestsThisHour);
  const deepUsedToday = deepBlocked(b, now)
    ? Math.max(opts.deepDailyLimit, deepUsedOn(b, deepDayKey(now, opts.dayResetHour)))
    : deepUsedOn(b, deepDayKey(now, opts.dayResetHour));
  const limited = b.rateLimitedUntil !== null && Date.parse(b.rateLimitedUntil) > now.getTime();
  const down = b.unreachableUntil !== undefined && b.unreachableUntil !== null && Date.parse(b.unreachableUntil) > now.getTime();
  let nextFreeAt: string | null = null;
  if (remaining === 0) {
    // To get one slot back, the (used - effective + 1) oldest entries must leave the window.
    const sorted = recent.map((t) => Date.parse(t)).sort((x, y) => x - y);
    const oldest = sorted[Math.max(0, requestsThisHour - effectiveHourly)];
    nextFreeAt = oldest === undefined ? null : new Date(oldest + HOUR_MS).toISOString();
  }
  return {
    requestsThisHour,
    hourlyLimit: opts.hourlyLimit,
    effectiveHourly,
    remaining,
    deepUsedToday,
    deepDailyLimit: opts.deepDailyLimit,
    deepRemaining: Math.max(0, opts.deepDailyLimit - deepUsedToday),
    rateLimitedUntil: limited ? b.rateLimitedUntil : null,
    unreachableUntil: down ? (b.unreachableUntil ?? null) : null,
    status: b.needsHuman ? 'needsHuman' : limited ? 'rateLimited' : down ? 'unreachable' : remaining === 0 ? 'exhausted' : 'available',
    nextFreeAt,
  };
}
