import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CAP_HOLD_MAX_MS,
  clearNeedsHuman,
  heldCap,
  deepDayKey,
  quotaView,
  recordOutcome,
  recordRequest,
  requestsLast24h,
  rollbackRequest,
  type QuotaOptions,
} from './quota.js';
import { at, buildBackend, HOUR_MS, MIN_MS, T0 } from './test-builders.js';
import type { BackendState } from './types.js';

const Q: QuotaOptions = {
  hourlyLimit: 50,
  deepDailyLimit: 5,
  dayResetHour: 4,
  decreaseFactor: 0.8,
  increasePerCleanHour: 2,
  backoffMs: 30 * MIN_MS,
};

function send(b: BackendState, n: number, start: Date, stepMs = 1000, deep = false): BackendState {
  for (let i = 0; i < n; i++) b = recordRequest(b, deep, at(i * stepMs, start), Q);
  return b;
}

describe('sliding hour', () => {
  it('counts requests of the last hour and prunes older ones', () => {
    let b = send(buildBackend(), 10, T0, MIN_MS); // T0 .. T0+9min
    expect(quotaView(b, at(9 * MIN_MS), Q)).toMatchObject({ requestsThisHour: 10, remaining: 40, status: 'available' });
    // At T0+1h the first request (exactly one hour old) has left the window.
    expect(quotaView(b, at(HOUR_MS), Q).requestsThisHour).toBe(9);
    b = recordRequest(b, false, at(HOUR_MS + 5 * MIN_MS), Q);
    expect(b.recent).toHaveLength(5); // pruned in the stored state too
    expect(b.totalRequests).toBe(11);
  });
  it('exhausted at the limit, with the time the next slot frees', () => {
    const b = send(buildBackend(), 50, T0, 1000);
    const v = quotaView(b, at(50_000), Q);
    expect(v).toMatchObject({ remaining: 0, status: 'exhausted', nextFreeAt: at(HOUR_MS).toISOString() });
    expect(quotaView(b, at(HOUR_MS), Q)).toMatchObject({ remaining: 1, status: 'available', nextFreeAt: null });
  });
  it('never mutates its input', () => {
    const b = send(buildBackend(), 3, T0);
    const copy = structuredClone(b);
    recordRequest(b, true, at(HOUR_MS * 2), Q);
    recordOutcome(b, 'rateLimited', null, at(10), Q);
    rollbackRequest(b, false, T0, Q);
    expect(b).toEqual(copy);
  });
  it('a clock going backwards keeps counting the "future" requests (conservative)', () => {
    const b = send(buildBackend(), 5, at(HOUR_MS), 1000);
    expect(quotaView(b, T0, Q).requestsThisHour).toBe(5);
  });
});

describe('deep day with a reset hour', () => {
  it('the quota day starts at dayResetHour UTC', () => {
    expect(deepDayKey(new Date('2025-01-02T03:59:59Z'), 4)).toBe('2025-01-01');
    expect(deepDayKey(new Date('2025-01-02T04:00:00Z'), 4)).toBe('2025-01-02');
    expect(deepDayKey(new Date('2025-01-02T00:00:00Z'), 0)).toBe('2025-01-02');
  });
  it('deep uses reset at the boundary, not at midnight', () => {
    let b = buildBackend();
    const evening = new Date('2025-01-01T22:00:00Z');
    b = send(b, 5, evening, 1000, true);
    expect(quotaView(b, evening, Q)).toMatchObject({ deepUsedToday: 5, deepRemaining: 0 });
    const beforeReset = new Date('2025-01-02T03:59:00Z');
    expect(quotaView(b, beforeReset, Q).deepRemaining).toBe(0);
    const afterReset = new Date('2025-01-02T04:00:00Z');
    expect(quotaView(b, afterReset, Q)).toMatchObject({ deepUsedToday: 0, deepRemaining: 5 });
    b = recordRequest(b, true, afterReset, Q);
    expect(b).toMatchObject({ deepDay: '2025-01-02', deepUsed: 1 });
  });
  it('the clock going back across the reset does not give deep quota back', () => {
    const after = new Date('2025-01-02T04:10:00Z');
    let b = send(buildBackend(), 5, after, 1000, true);
    const before = new Date('2025-01-02T03:50:00Z');
    expect(quotaView(b, before, Q).deepRemaining).toBe(0);
    b = recordRequest(b, true, before, Q);
    expect(b).toMatchObject({ deepDay: '2025-01-02', deepUsed: 6 });
  });
});

describe('rollbackRequest', () => {
  it('gives back exactly the request recorded at that time, and its deep use', () => {
    let b = send(buildBackend(), 3, T0, 1000, true);
    const t = at(2000);
    b = rollbackRequest(b, true, t, Q);
    expect(b.recent).toEqual([T0.toISOString(), at(1000).toISOString()]);
    expect(b).toMatchObject({ deepUsed: 2, totalRequests: 2 });
    // Rolling back something unknown changes nothing but the total (never below 0).
    const c = rollbackRequest(buildBackend(), true, T0, Q);
    expect(c).toMatchObject({ recent: [], deepUsed: 0, totalRequests: 0 });
  });
  it("requests are counted per module, and a rollback gives back that module's one", () => {
    let b = recordRequest(buildBackend(), false, T0, Q, 'consultation');
    b = recordRequest(b, false, at(1000), Q, 'explorer');
    b = recordRequest(b, false, at(2000), Q, 'consultation');
    expect(b.requestsByModule).toEqual({ consultation: 2, explorer: 1 });
    b = rollbackRequest(b, false, at(2000), Q, 'consultation');
    expect(b).toMatchObject({ totalRequests: 2, requestsByModule: { consultation: 1, explorer: 1 } });
    // Without a module (older callers) nothing per module is recorded.
    expect(recordRequest(buildBackend(), false, T0, Q).requestsByModule).toBeUndefined();
  });
  it('does not touch the deep count of a later quota day', () => {
    const day1 = new Date('2025-01-01T12:00:00Z');
    let b = recordRequest(buildBackend(), true, day1, Q);
    b = recordRequest(b, true, new Date('2025-01-02T12:00:00Z'), Q);
    b = rollbackRequest(b, true, day1, Q);
    expect(b).toMatchObject({ deepDay: '2025-01-02', deepUsed: 1 });
  });
});

describe('rate limits: multiplicative decrease, learned ceiling, additive increase', () => {
  it('marks the backend limited until the site reset time and learns the observed cap', () => {
    // Hidden cap 40: the 41st request in the hour was refused.
    let b = send(buildBackend(), 41, T0, 1000);
    const now = at(41_000);
    const resetAt = at(HOUR_MS);
    b = recordOutcome(b, 'rateLimited', resetAt, now, Q);
    expect(b).toMatchObject({
      effectiveHourly: 40, // min(floor(50 * 0.8) = 40, observed 40)
      learnedCap: 40,
      rateLimitedUntil: resetAt.toISOString(),
      rateLimitHits: [now.toISOString()],
      cleanSince: null,
    });
    const v = quotaView(b, now, Q);
    expect(v).toMatchObject({ status: 'rateLimited', hourlyLimit: 50, effectiveHourly: 40, rateLimitedUntil: resetAt.toISOString() });
  });
  it('without a reset time the backend backs off for backoffMs (also when the parsed time is past)', () => {
    const b = recordOutcome(send(buildBackend(), 5, T0), 'rateLimited', null, at(5000), Q);
    expect(b.rateLimitedUntil).toBe(at(5000 + 30 * MIN_MS).toISOString());
    const c = recordOutcome(send(buildBackend(), 5, T0), 'rateLimited', at(-1), at(5000), Q);
    expect(c.rateLimitedUntil).toBe(at(5000 + 30 * MIN_MS).toISOString());
  });
  it('the decrease is multiplicative from the current estimate when usage is above it', () => {
    // Estimate 30 but 35 requests went through (e.g. `fano ask` bypassing the allocator).
    const b = recordOutcome(send(buildBackend({ effectiveHourly: 30 }), 36, T0), 'rateLimited', null, at(40_000), Q);
    expect(b.effectiveHourly).toBe(24);
    // Repeated hits keep shrinking, never below 1.
    let c = buildBackend({ effectiveHourly: 2 });
    for (let i = 0; i < 5; i++) c = recordOutcome(send(c, 1, at(i * 1000)), 'rateLimited', null, at(i * 1000 + 1), Q);
    expect(c.effectiveHourly).toBe(1);
  });
  it('never overwrites the configured limit (it is not even in the state)', () => {
    const b = recordOutcome(send(buildBackend(), 41, T0), 'rateLimited', null, at(41_000), Q);
    expect(quotaView(b, at(41_000), Q).hourlyLimit).toBe(50);
    expect(Object.values(b)).not.toContain(50);
  });
  it('additive increase per full clean hour, held at the learned cap for 24 h, then capped at the limit', () => {
    let b = buildBackend({ effectiveHourly: 30, learnedCap: 36, capHoldUntil: at(24 * HOUR_MS).toISOString(), rateLimitHits: [T0.toISOString()] });
    b = recordOutcome(b, 'ok', null, at(MIN_MS), Q);
    expect(b.cleanSince).toBe(at(MIN_MS).toISOString());
    b = recordOutcome(b, 'ok', null, at(MIN_MS + HOUR_MS - 1), Q);
    expect(b.effectiveHourly).toBe(30); // not a full hour yet
    b = recordOutcome(b, 'ok', null, at(MIN_MS + 2 * HOUR_MS + 5 * MIN_MS), Q);
    expect(b.effectiveHourly).toBe(34); // two clean hours
    expect(b.cleanSince).toBe(at(MIN_MS + 2 * HOUR_MS).toISOString()); // the partial hour still counts
    b = recordOutcome(b, 'ok', null, at(MIN_MS + 10 * HOUR_MS), Q);
    expect(b.effectiveHourly).toBe(36); // held at the learned cap
    // 24 h after the hit the ceiling is forgotten: probing resumes up to the configured limit.
    b = recordOutcome(b, 'ok', null, at(24 * HOUR_MS + MIN_MS), Q);
    expect(heldCap(b, at(24 * HOUR_MS + MIN_MS))).toBeNull();
    expect(b.learnedCap).toBe(36); // remembered, to recognise the same cap at the next hit
    expect(b.rateLimitHits).toEqual([]);
    b = recordOutcome(b, 'ok', null, at(30 * HOUR_MS), Q);
    expect(b.effectiveHourly).toBeNull(); // back at the configured 50
    expect(quotaView(b, at(30 * HOUR_MS), Q).effectiveHourly).toBe(50);
  });
  it('a probe refused at the same cap doubles the hold (up to 7 days); a different cap restarts at 24 h', () => {
    const hitAt = (b: BackendState, n: number, t: number) => recordOutcome(send(b, n, at(t)), 'rateLimited', null, at(t + n * 1000), Q);
    let b = hitAt(buildBackend(), 41, 0);
    expect(b).toMatchObject({ learnedCap: 40, capHoldMs: 24 * HOUR_MS });
    let t = 0;
    for (const days of [2, 4, 7, 7]) {
      t += 30 * HOUR_MS;
      b = hitAt(b, 41, t);
      expect(b.capHoldMs).toBe(days * 24 * HOUR_MS);
      expect(b.capHoldUntil).toBe(at(t + 41_000 + days * 24 * HOUR_MS).toISOString());
    }
    expect(b.capHoldMs).toBe(CAP_HOLD_MAX_MS);
    t += 30 * HOUR_MS;
    b = hitAt(b, 31, t); // the site lowered its limit
    expect(b).toMatchObject({ learnedCap: 30, capHoldMs: 24 * HOUR_MS });
    t += 30 * HOUR_MS;
    b = hitAt(b, 46, t); // and raised it
    expect(b).toMatchObject({ learnedCap: 45, capHoldMs: 24 * HOUR_MS });
  });
  it('ok clears rateLimitedUntil only once it is past, and clears needsHuman', () => {
    let b = recordOutcome(send(buildBackend(), 41, T0), 'rateLimited', at(HOUR_MS), at(41_000), Q);
    b = recordOutcome(b, 'ok', null, at(10 * MIN_MS), Q); // an answer already in flight
    expect(b.rateLimitedUntil).toBe(at(HOUR_MS).toISOString());
    b = recordOutcome(b, 'ok', null, at(HOUR_MS + 41_000), Q);
    expect(b.rateLimitedUntil).toBeNull();
    expect(quotaView(b, at(HOUR_MS + 41_000), Q).status).toBe('available');
  });
  it('prunes rate-limit hits to the last 24 h', () => {
    let b = buildBackend();
    for (let h = 0; h < 30; h += 6) b = recordOutcome(send(b, 2, at(h * HOUR_MS)), 'rateLimited', null, at(h * HOUR_MS + 5000), Q);
    expect(b.rateLimitHits.map((t) => ((Date.parse(t) - T0.getTime()) / HOUR_MS) | 0)).toEqual([6, 12, 18, 24]);
  });
});

describe('probes of a learned cap, second hits, raised caps', () => {
  /** Learned cap 40 (first hit at T0), hold over: 41 more requests a minute apart from `t`, the last refused. */
  function probeAt(t: number, resetAt: Date | null = null): { before: BackendState; after: BackendState; now: Date } {
    let b = recordOutcome(send(buildBackend(), 41, T0), 'rateLimited', null, at(41_000), Q);
    expect(b).toMatchObject({ effectiveHourly: 40, learnedCap: 40 });
    b = { ...b, effectiveHourly: 42 }; // grown past the cap after the hold
    const before = send(b, 41, at(t), MIN_MS);
    const now = at(t + 40 * MIN_MS);
    return { before, after: recordOutcome(before, 'rateLimited', resetAt, now, Q), now };
  }
  it('a probe refused at the learned cap keeps the cap as the estimate (no multiplicative cut)', () => {
    const { after } = probeAt(30 * HOUR_MS);
    expect(after).toMatchObject({ effectiveHourly: 40, learnedCap: 40, capHoldMs: 48 * HOUR_MS });
  });
  it('without a reset time it rests until our window has a free slot, not the whole backoff', () => {
    const t = 30 * HOUR_MS;
    const { after, now } = probeAt(t);
    // 41 entries (the refused one included), estimate 40: two must leave, the second is at t+1 min.
    expect(after.rateLimitedUntil).toBe(at(t + MIN_MS + HOUR_MS).toISOString());
    expect(Date.parse(after.rateLimitedUntil!) - now.getTime()).toBe(21 * MIN_MS); // not the 30 min backoff
    expect(quotaView(after, at(t + MIN_MS + HOUR_MS), Q)).toMatchObject({ status: 'available', remaining: 1 });
    // Requests bunched in the last minutes free no slot before the backoff: the backoff bounds it.
    const bunched = recordOutcome(send({ ...after, rateLimitHits: [] }, 41, at(t + 3 * HOUR_MS), 1000), 'rateLimited', null, at(t + 3 * HOUR_MS + 41_000), Q);
    expect(bunched.rateLimitedUntil).toBe(at(t + 3 * HOUR_MS + 41_000 + Q.backoffMs).toISOString());
    // A reset time the site named still wins.
    expect(probeAt(t, at(t + 50 * MIN_MS)).after.rateLimitedUntil).toBe(at(t + 50 * MIN_MS).toISOString());
  });
  it('a second hit within the hour is not a probe: cut and full backoff', () => {
    const t = 30 * HOUR_MS;
    const { after } = probeAt(t);
    const t2 = t + 40 * MIN_MS + 30 * MIN_MS; // within the hour of the probe's hit
    const again = recordOutcome(send(after, 1, at(t2)), 'rateLimited', null, at(t2 + 1000), Q);
    expect(again.effectiveHourly).toBe(Math.min(32, again.recent.length - 1)); // cut: floor(40 * 0.8), or what went through
    expect(again.effectiveHourly).toBeLessThan(40);
    expect(again.rateLimitedUntil).toBe(at(t2 + 1000 + Q.backoffMs).toISOString());
  });
  it('a hit above the learned cap (the site raised its limit) is learned as is, with no cut', () => {
    let b = recordOutcome(send(buildBackend(), 41, T0), 'rateLimited', null, at(41_000), Q);
    b = send({ ...b, effectiveHourly: 48 }, 47, at(30 * HOUR_MS), 1000);
    b = recordOutcome(b, 'rateLimited', null, at(30 * HOUR_MS + 47_000), Q);
    expect(b).toMatchObject({ effectiveHourly: 46, learnedCap: 46, capHoldMs: 24 * HOUR_MS });
  });
});

describe('deep-mode refusals', () => {
  const deepHit = (b: BackendState, now: Date, resetAt: Date | null) =>
    recordOutcome(recordRequest(b, true, now, Q), 'rateLimited', resetAt, now, Q, null, { deep: true });
  it('a reset more than an hour away is the daily deep cap: deep closed for the day, hourly untouched', () => {
    const now = at(10 * HOUR_MS);
    const before = send(buildBackend(), 5, at(9.5 * HOUR_MS), MIN_MS);
    const b = deepHit(before, now, at(28 * HOUR_MS));
    expect(b).toMatchObject({ effectiveHourly: null, rateLimitedUntil: null, cleanSince: null });
    expect(b.learnedCap ?? null).toBeNull();
    expect(b.rateLimitHits).toEqual([now.toISOString()]);
    expect(quotaView(b, now, Q)).toMatchObject({ status: 'available', deepRemaining: 0, remaining: 50 - 6 });
    // The next quota day opens deep mode again.
    expect(quotaView(b, new Date('2025-01-02T04:00:00Z'), Q).deepRemaining).toBe(5);
  });
  it('without a reset time: our hour far below the hourly ceiling means the deep cap', () => {
    const b = deepHit(send(buildBackend(), 3, T0), at(5000), null);
    expect(b.rateLimitedUntil).toBeNull();
    expect(quotaView(b, at(5000), Q).deepRemaining).toBe(0);
  });
  it('a deep refusal with our hour at the ceiling, or a reset within the hour, is an hourly hit', () => {
    const full = send(buildBackend({ effectiveHourly: 30 }), 30, T0);
    const b = deepHit(full, at(31_000), null);
    expect(b.effectiveHourly).toBe(24);
    expect(b.rateLimitedUntil).not.toBeNull();
    const soon = deepHit(send(buildBackend(), 3, T0), at(5000), at(20 * MIN_MS));
    expect(soon.rateLimitedUntil).toBe(at(20 * MIN_MS).toISOString());
    expect(soon.deepUsed).toBe(1);
    // Without the deep flag a refusal is always hourly (older callers).
    expect(recordOutcome(send(buildBackend(), 3, T0), 'rateLimited', at(28 * HOUR_MS), at(5000), Q).rateLimitedUntil).toBe(at(28 * HOUR_MS).toISOString());
  });
});

describe('what the site says in words', () => {
  it('a deep-only limit ("until Jan 10") closes deep mode until that time, days away, and nothing hourly', () => {
    const now = at(10 * HOUR_MS);
    const until = at(4 * 24 * HOUR_MS);
    const b = recordOutcome(send(buildBackend(), 3, at(9.5 * HOUR_MS), MIN_MS), 'rateLimited', until, now, Q, null, { deep: true, deepOnly: true });
    expect(b).toMatchObject({ rateLimitedUntil: null, effectiveHourly: null, deepBlockedUntil: until.toISOString() });
    expect(quotaView(b, now, Q)).toMatchObject({ status: 'available', deepRemaining: 0 });
    // Still closed after the quota day ends (the site named a later time)...
    expect(quotaView(b, at(2 * 24 * HOUR_MS), Q).deepRemaining).toBe(0);
    // ...and open again once it has passed.
    expect(quotaView(b, at(4 * 24 * HOUR_MS + MIN_MS), Q).deepRemaining).toBe(5);
  });
  it('a locked account parks the backend for a person, like a login wall', () => {
    const b = recordOutcome(buildBackend(), 'accountBlocked', null, at(0), Q, '/runs/b', { sent: false });
    expect(b.needsHuman).toEqual({ reason: 'accountBlocked', since: at(0).toISOString(), bundle: '/runs/b' });
    expect(quotaView(b, at(0), Q).status).toBe('needsHuman');
  });
  it('notSent and overloaded say nothing about quota, and prove the site is up', () => {
    const down = recordOutcome(recordOutcome(buildBackend(), 'siteError', null, at(0), Q, null, { sent: false }), 'siteError', null, at(1), Q, null, {
      sent: false,
    });
    expect(down.unreachableStreak).toBe(2);
    for (const outcome of ['notSent', 'overloaded'] as const) {
      const b = recordOutcome(down, outcome, null, at(2), Q, null, { sent: false });
      expect(b.unreachableStreak).toBeUndefined();
      expect(b).toMatchObject({ needsHuman: null, rateLimitedUntil: null, effectiveHourly: null });
    }
  });
});

describe('unreachable sites', () => {
  const notLoaded = (b: BackendState, t: number) => recordOutcome(b, 'siteError', null, at(t), Q, null, { sent: false });
  it('the first page that did not load is free; then 1, 2, 4 … minutes, at most 10', () => {
    let b = notLoaded(buildBackend(), 0);
    expect(b.unreachableUntil).toBeUndefined();
    expect(quotaView(b, at(0), Q).status).toBe('available');
    const waits: number[] = [];
    for (let i = 1; i <= 6; i++) {
      b = notLoaded(b, i * 1000);
      waits.push((Date.parse(b.unreachableUntil!) - i * 1000 - T0.getTime()) / MIN_MS);
    }
    expect(waits).toEqual([1, 2, 4, 8, 10, 10]);
    expect(quotaView(b, at(7000), Q)).toMatchObject({ status: 'unreachable', unreachableUntil: b.unreachableUntil });
    expect(quotaView(b, at(11 * MIN_MS), Q)).toMatchObject({ status: 'available', unreachableUntil: null });
  });
  it('any answer from the site clears the mark; a healthy state is left byte for byte', () => {
    const down = notLoaded(notLoaded(buildBackend(), 0), 1000);
    for (const o of ['ok', 'siteError', 'timeout', 'loginRequired'] as const) {
      const b = recordOutcome(down, o, null, at(2000), Q);
      expect(b.unreachableUntil, o).toBeUndefined();
      expect(b.unreachableStreak, o).toBeUndefined();
    }
    // A rate limit or a wall shown before anything was typed: the page loaded all the same.
    for (const o of ['rateLimited', 'challenge'] as const) {
      const b = recordOutcome(down, o, null, at(2000), Q, null, { sent: false });
      expect(b.unreachableUntil, o).toBeUndefined();
      expect(b.unreachableStreak, o).toBeUndefined();
    }
    const healthy = send(buildBackend(), 2, T0);
    expect(Object.keys(recordOutcome(healthy, 'siteError', null, at(5000), Q, null, { sent: true }))).toEqual(Object.keys(healthy));
  });
});

describe('needs a human', () => {
  it('loginRequired / challenge park the backend, keeping the first since; ok or clearNeedsHuman frees it', () => {
    let b = recordOutcome(buildBackend(), 'loginRequired', null, T0, Q, 'runs/b1');
    expect(b.needsHuman).toEqual({ reason: 'loginRequired', since: T0.toISOString(), bundle: 'runs/b1' });
    b = recordOutcome(b, 'loginRequired', null, at(MIN_MS), Q);
    expect(b.needsHuman?.since).toBe(T0.toISOString());
    b = recordOutcome(b, 'challenge', null, at(2 * MIN_MS), Q);
    expect(b.needsHuman).toMatchObject({ reason: 'challenge', since: at(2 * MIN_MS).toISOString() });
    expect(quotaView(b, at(3 * MIN_MS), Q).status).toBe('needsHuman');
    expect(clearNeedsHuman(b).needsHuman).toBeNull();
    expect(recordOutcome(b, 'ok', null, at(4 * MIN_MS), Q).needsHuman).toBeNull();
  });
  it('other outcomes say nothing about quota', () => {
    const b = send(buildBackend({ effectiveHourly: 20 }), 3, T0);
    for (const o of ['siteError', 'empty', 'truncated', 'timeout'] as const) {
      expect(recordOutcome(b, o, null, at(5000), Q)).toEqual(b);
    }
  });
});

describe('properties', () => {
  it('against a hidden sliding-hour cap, gating on remaining converges to ≤ 1 hit per day after day 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 49 }), (cap) => {
        let b = buildBackend();
        const hitsByDay = new Map<number, number>();
        let sent: number[] = []; // the site's own view of accepted requests (last hour)
        let lastDay = 0;
        for (let t = 0; t < 3 * 24 * HOUR_MS; t += 60_000) {
          const now = at(t);
          if (quotaView(b, now, Q).status !== 'available') continue;
          b = recordRequest(b, false, now, Q);
          sent = sent.filter((s) => s > t - HOUR_MS);
          if (sent.length < cap) {
            sent.push(t);
            if (t >= 2 * 24 * HOUR_MS) lastDay++;
            b = recordOutcome(b, 'ok', null, now, Q);
          } else {
            const day = Math.floor(t / (24 * HOUR_MS));
            hitsByDay.set(day, (hitsByDay.get(day) ?? 0) + 1);
            b = recordOutcome(b, 'rateLimited', null, now, Q);
          }
          expect(quotaView(b, now, Q).effectiveHourly).toBeLessThanOrEqual(Q.hourlyLimit);
        }
        for (const [day, hits] of hitsByDay) if (day >= 1) expect(hits).toBeLessThanOrEqual(1);
        // And the capacity is used: in the last day at least 95 % of the hidden capacity.
        expect(lastDay / (cap * 24)).toBeGreaterThanOrEqual(0.95);
      }),
      { numRuns: 8 },
    );
  });
});

describe('requests in the last 24 h (hourly counts)', () => {
  it('counts each request in its hour, keeps 25 hours, gives a rolled-back one back', () => {
    let b = buildBackend();
    // 3 requests an hour for 30 hours, at :10, :20 and :30.
    for (let h = 0; h < 30; h++) for (const m of [10, 20, 30]) b = recordRequest(b, false, at(h * HOUR_MS + m * MIN_MS), Q);
    const now = at(29 * HOUR_MS + 40 * MIN_MS);
    expect(Object.keys(b.requestsByHour ?? {})).toHaveLength(25);
    // To the hour: hours 5..29 are in the window (hour 5 counted whole, since its :40 is in it).
    expect(requestsLast24h(b, now)).toBe(25 * 3);
    b = rollbackRequest(b, false, at(29 * HOUR_MS + 30 * MIN_MS), Q);
    expect(requestsLast24h(b, now)).toBe(25 * 3 - 1);
    expect(requestsLast24h(b, at(60 * HOUR_MS)), 'a day later nothing is counted').toBe(0);
    expect(b.totalRequests).toBe(89);
  });
});
