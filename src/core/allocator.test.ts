import { describe, expect, it } from 'vitest';
import { allocate, heldBackend, type AllocateOptions, type BackendSlot } from './allocator.js';
import { claimTask, completeStep, markSubmitted } from './lifecycle.js';
import { quotaView, recordOutcome, recordRequest, type QuotaOptions } from './quota.js';
import { at, buildBackend, buildTask, MIN_MS, T0 } from './test-builders.js';
import type { BackendState, Task } from './types.js';

const Q: QuotaOptions = { hourlyLimit: 10, deepDailyLimit: 3, dayResetHour: 0, decreaseFactor: 0.8, increasePerCleanHour: 2, backoffMs: 30 * MIN_MS };
const OPTS: AllocateOptions = { taskTypes: {}, deepReserves: {} };

function slot(name: string, over: Partial<BackendSlot> = {}, state: BackendState = buildBackend()): BackendSlot {
  return { name, quota: Q, state, busy: false, ...over };
}
function used(n: number, deep = false, module?: string): BackendState {
  let b = buildBackend();
  for (let i = 0; i < n; i++) b = recordRequest(b, deep, at(i), Q, module);
  return b;
}
/** A paused task in the middle of a conversation on `backend`. */
function midConversation(backend: string, over: Partial<Task> = {}): Task {
  const t = claimTask(buildTask(over), backend, T0);
  return completeStep(t, { done: false, data: {}, url: `https://${backend}/c/1` }, T0);
}
const NOW = at(MIN_MS);

describe('allocate', () => {
  it('picks the usable backend with most remaining hourly quota (ties by name)', () => {
    const t = buildTask();
    expect(allocate(t, [slot('a', {}, used(5)), slot('b', {}, used(2))], NOW, OPTS)).toEqual({ backend: 'b', deep: false });
    expect(allocate(t, [slot('b'), slot('a')], NOW, OPTS)).toEqual({ backend: 'a', deep: false });
  });
  it('skips busy, rate-limited, needs-human and exhausted backends, and says why when none is left', () => {
    const t = buildTask();
    const limited = recordOutcome(used(3), 'rateLimited', null, at(5), Q);
    const human = recordOutcome(buildBackend(), 'challenge', null, at(5), Q);
    const slots = [slot('busy', { busy: true }), slot('lim', {}, limited), slot('hum', {}, human), slot('full', {}, used(10))];
    const r = allocate(t, slots, NOW, OPTS);
    expect(r.backend).toBeNull();
    const reason = 'reason' in r ? r.reason : '';
    expect(reason).toMatch(/busy is busy/);
    expect(reason).toMatch(/lim is rate-limited until/);
    expect(reason).toMatch(/hum needs a human \(challenge\)/);
    expect(reason).toMatch(/full has no hourly quota left \(10\/10\)/);
    expect(allocate(t, [...slots, slot('ok')], NOW, OPTS)).toEqual({ backend: 'ok', deep: false });
  });
  it('uses the learned effective limit, not the configured one', () => {
    const b = { ...used(6), effectiveHourly: 6 };
    expect(allocate(buildTask(), [slot('a', {}, b)], NOW, OPTS).backend).toBeNull();
  });
  it('honours llmPreference while that backend serves or is busy, and moves off one that is not configured', () => {
    const t = buildTask({ llmPreference: 'gemini' });
    expect(allocate(t, [slot('chatgpt'), slot('gemini', {}, used(9))], NOW, OPTS)).toEqual({ backend: 'gemini', deep: false });
    const r = allocate(t, [slot('chatgpt'), slot('gemini', { busy: true })], NOW, OPTS);
    expect(r).toEqual({ backend: null, reason: 'gemini is busy' });
    expect(allocate(t, [slot('chatgpt')], NOW, OPTS)).toEqual({ backend: 'chatgpt', deep: false });
  });
  it('a preference is a preference: a backend limited past maxPinWait or needing a person loses the task', () => {
    const t = buildTask({ llmPreference: 'a' });
    const limitedFor = (ms: number) => ({ ...buildBackend(), rateLimitedUntil: at(ms).toISOString() });
    const opts = { ...OPTS, maxPinWaitMs: 30 * MIN_MS };
    expect(allocate(t, [slot('a', {}, limitedFor(20 * MIN_MS)), slot('b')], NOW, opts).backend).toBeNull();
    expect(allocate(t, [slot('a', {}, limitedFor(3 * 60 * MIN_MS)), slot('b')], NOW, opts)).toEqual({ backend: 'b', deep: false });
    const human = recordOutcome(buildBackend(), 'loginRequired', null, T0, Q);
    expect(allocate(t, [slot('a', {}, human), slot('b')], NOW, opts)).toEqual({ backend: 'b', deep: false });
    // Out of hourly quota: waits while a slot frees within maxPinWait (the first one frees in 59 min).
    expect(allocate(t, [slot('a', {}, used(10)), slot('b')], NOW, { ...opts, maxPinWaitMs: 60 * MIN_MS }).backend).toBeNull();
    expect(allocate(t, [slot('a', {}, used(10)), slot('b')], NOW, opts)).toEqual({ backend: 'b', deep: false });
    // onBackendBusy 'fresh' never waits, not even for a busy backend.
    const fresh = { ...opts, taskTypes: { exploration: { onBackendBusy: 'fresh' as const } } };
    expect(allocate(t, [slot('a', { busy: true }), slot('b')], NOW, fresh)).toEqual({ backend: 'b', deep: false });
  });
  it('never moves work to a backend it avoids while another exists', () => {
    const review = buildTask({ type: 'review', llmPreference: 'b', llmAvoid: ['author'] });
    const human = recordOutcome(buildBackend(), 'loginRequired', null, T0, Q);
    const r = allocate(review, [slot('author'), slot('b', {}, human)], NOW, OPTS);
    expect(r.backend).toBeNull();
    expect(allocate(review, [slot('author'), slot('b', {}, human), slot('c')], NOW, OPTS)).toEqual({ backend: 'c', deep: false });
    // A home with only the avoided backend still gets its work done.
    expect(allocate(review, [slot('author')], NOW, OPTS)).toEqual({ backend: 'author', deep: false });
    // A preference for an avoided backend (chosen when nothing else was usable) is dropped.
    const critique = buildTask({ type: 'critique', llmPreference: 'a', llmAvoid: ['a'] });
    expect(allocate(critique, [slot('a'), slot('b', {}, used(5))], NOW, OPTS)).toEqual({ backend: 'b', deep: false });
  });
  it('checks the deep daily quota for deep tasks only', () => {
    const deep = buildTask({ deep: true });
    expect(allocate(deep, [slot('a', {}, used(3, true)), slot('b', {}, used(5))], NOW, OPTS)).toEqual({ backend: 'b', deep: true });
    expect(allocate(deep, [slot('a', {}, used(3, true))], NOW, OPTS).backend).toBeNull();
    expect(allocate(buildTask(), [slot('a', {}, used(3, true))], NOW, OPTS)).toEqual({ backend: 'a', deep: false });
  });
  it('holds back other modules’ unused deep reserves', () => {
    const opts: AllocateOptions = { ...OPTS, deepReserves: { researcher: 1 } };
    const explorerDeep = buildTask({ module: 'explorer', deep: true });
    const researcherDeep = buildTask({ module: 'researcher', deep: true });
    const twoUsed = used(2, true, 'explorer'); // 1 deep left, reserved for the researcher
    expect(allocate(explorerDeep, [slot('a', {}, twoUsed)], NOW, opts).backend).toBeNull();
    expect(allocate(researcherDeep, [slot('a', {}, twoUsed)], NOW, opts)).toEqual({ backend: 'a', deep: true });
    // Once the researcher used its reserve, nothing is held back any more.
    const withResearcher = recordRequest(used(1, true, 'explorer'), true, at(9), Q, 'researcher');
    expect(allocate(explorerDeep, [slot('a', {}, withResearcher)], NOW, opts)).toEqual({ backend: 'a', deep: true });
  });
  it('prefers the backend holding the conversation even with less quota', () => {
    const t = midConversation('a');
    expect(heldBackend(t)).toBe('a');
    expect(allocate(t, [slot('a', {}, used(8)), slot('b')], NOW, OPTS)).toEqual({ backend: 'a', deep: false });
  });
  it("onBackendBusy 'wait' waits for the conversation's backend; 'fresh' restarts elsewhere", () => {
    const t = midConversation('a', { type: 'exploration' });
    const slots = [slot('a', { busy: true }), slot('b')];
    const r = allocate(t, slots, NOW, OPTS);
    expect(r).toEqual({ backend: null, reason: 'waiting for its conversation: a is busy' });
    const fresh = { ...OPTS, taskTypes: { exploration: { onBackendBusy: 'fresh' as const } } };
    expect(allocate(t, slots, NOW, fresh)).toEqual({ backend: 'b', deep: false, fresh: true });
    // A conversation on a backend that is no longer configured restarts anywhere.
    expect(allocate(t, [slot('b')], NOW, OPTS)).toEqual({ backend: 'b', deep: false, fresh: true });
  });
  it('a conversation with no turn and no url is not worth waiting for', () => {
    const t = { ...claimTask(buildTask(), 'a', T0), state: 'paused' as const };
    expect(heldBackend(t)).toBeNull();
    expect(allocate(t, [slot('a', { busy: true }), slot('b')], NOW, OPTS)).toEqual({ backend: 'b', deep: false });
  });
  it('a harvest goes back to its backend even without quota, but never to a busy one', () => {
    const running = markSubmitted(claimTask(buildTask({ deep: true }), 'a', T0), { requestId: 'r', url: 'https://a/c/9', deep: true, promptHash: 'h' }, T0);
    const t = { ...running, state: 'paused' as const };
    expect(allocate(t, [slot('a', {}, used(10, true)), slot('b')], NOW, OPTS)).toEqual({ backend: 'a', deep: true, harvest: true });
    expect(allocate(t, [slot('a', { busy: true }), slot('b')], NOW, OPTS).backend).toBeNull();
  });
});

describe('unreachable sites (outages)', () => {
  const notLoaded = (b: BackendState, n: number): BackendState => {
    for (let i = 0; i < n; i++) b = recordOutcome(b, 'siteError', null, at(i * 1000), Q, null, { sent: false });
    return b;
  };
  it('a site that did not load twice in a row is skipped, although rollbacks left it the most quota', () => {
    const t = buildTask();
    const down = notLoaded(buildBackend(), 2);
    expect(allocate(t, [slot('down', {}, down), slot('up', {}, used(5))], at(2000), OPTS)).toEqual({ backend: 'up', deep: false });
    const alone = allocate(t, [slot('down', {}, down)], at(2000), OPTS);
    expect('reason' in alone ? alone.reason : '').toMatch(/down did not load/);
    // One failure says nothing: still allocated.
    expect(allocate(t, [slot('once', {}, notLoaded(buildBackend(), 1)), slot('up', {}, used(5))], at(2000), OPTS).backend).toBe('once');
  });
  it("a conversation held on an unreachable site starts fresh elsewhere even with onBackendBusy 'wait'", () => {
    const t = midConversation('down');
    const down = notLoaded(buildBackend(), 3);
    expect(allocate(t, [slot('down', {}, down), slot('up')], at(3000), OPTS)).toEqual({ backend: 'up', deep: false, fresh: true });
    // Merely busy: it waits, as before.
    expect(allocate(t, [slot('down', { busy: true }), slot('up')], at(3000), OPTS).backend).toBeNull();
  });
  it('a precomputed view in the slot is used instead of computing one', () => {
    const t = buildTask();
    const full = slot('a', {}, used(10));
    const r = allocate(t, [{ ...full, view: { ...quotaView(full.state, NOW, Q), remaining: 5, status: 'available' } }], NOW, OPTS);
    expect(r.backend).toBe('a');
  });
});
