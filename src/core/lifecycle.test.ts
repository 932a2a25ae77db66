import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCapMs, fullJitterDelayMs } from './backoff.js';
import {
  claimTask,
  completeStep,
  createTask,
  failStep,
  interruptTask,
  InvalidTransitionError,
  isRunnable,
  isTransient,
  markSubmitted,
  displacedSinceLastStep,
  PREEMPTION_KEEP_MAX,
  recordPreemption,
  TRANSIENT_RETRY_DELAY_MS,
  type RetryOptions,
} from './lifecycle.js';
import { mulberry32 } from './rng.js';
import { taskKey } from './task-key.js';
import { applyEvents } from './reducer.js';
import { at, buildTask, HOUR_MS, MIN_MS, T0 } from './test-builders.js';
import { emptyState } from './types.js';
import { OUTCOMES } from './types.js';

const RETRY: RetryOptions = { maxRetries: 3, baseDelayMs: 60_000, multiplier: 2, maxDelayMs: 3_600_000 };
const sub = { requestId: 'r1', url: 'https://x/c/1', deep: false, promptHash: 'h' };

function running(backend = 'mock') {
  return claimTask(buildTask(), backend, T0);
}

describe('createTask', () => {
  it('derives the stable key and starts pending with defaults', () => {
    const t = createTask({ module: 'explorer', type: 'exploration', context: { seed: 's1' } }, T0);
    expect(t.key).toBe(taskKey('explorer', 'exploration', { seed: 's1' }));
    expect(t).toMatchObject({
      state: 'pending',
      data: {},
      priority: 0,
      deep: false,
      llmPreference: null,
      attempts: 0,
      llmRequests: 0,
      createdAt: T0.toISOString(),
      readyAt: T0.toISOString(),
      notBefore: null,
      conversation: null,
      finishedAt: null,
    });
  });
  it('keeps the optional fields given', () => {
    const t = createTask({ module: 'm', type: 't', context: {}, data: { a: 1 }, priority: 7, deep: true, llmPreference: 'gemini' }, T0);
    expect(t).toMatchObject({ data: { a: 1 }, priority: 7, deep: true, llmPreference: 'gemini' });
  });
});

describe('claimTask', () => {
  it('pending → running with a new conversation on the backend', () => {
    const t = running('chatgpt');
    expect(t.state).toBe('running');
    expect(t.conversation).toEqual({ backend: 'chatgpt', url: null, turn: 0, submitted: null });
  });
  it('keeps the conversation when resumed on the same backend, restarts it elsewhere', () => {
    const paused = completeStep(markSubmitted(running('a'), sub, T0), { done: false, data: {}, url: 'u1' }, at(MIN_MS));
    const same = claimTask(paused, 'a', at(2 * MIN_MS));
    expect(same.conversation).toMatchObject({ backend: 'a', url: 'u1', turn: 1 });
    const other = claimTask(paused, 'b', at(2 * MIN_MS));
    expect(other.conversation).toEqual({ backend: 'b', url: null, turn: 0, submitted: null });
  });
  it('refuses running and terminal tasks (no double scheduling)', () => {
    const t = running();
    expect(() => claimTask(t, 'mock', T0)).toThrow(InvalidTransitionError);
    const done = completeStep(t, { done: true, data: {}, url: null }, T0);
    expect(() => claimTask(done, 'mock', T0)).toThrow(/cannot claim from state 'completed'/);
  });
  it('never mutates its input', () => {
    const t = buildTask();
    const copy = structuredClone(t);
    claimTask(t, 'x', T0);
    expect(t).toEqual(copy);
  });
});

describe('markSubmitted / completeStep', () => {
  it('marks the submission with its time and url', () => {
    const t = markSubmitted(running(), sub, at(5));
    expect(t.conversation?.submitted).toEqual({ requestId: 'r1', at: at(5).toISOString(), deep: false, promptHash: 'h' });
    expect(t.conversation?.url).toBe('https://x/c/1');
  });
  it('an unfinished step yields to paused with readyAt = now and counts the request', () => {
    const t = markSubmitted(running(), sub, T0);
    const p = completeStep(t, { done: false, data: { turn: 1 }, url: null }, at(MIN_MS));
    expect(p).toMatchObject({ state: 'paused', data: { turn: 1 }, llmRequests: 1, readyAt: at(MIN_MS).toISOString(), finishedAt: null });
    expect(p.conversation).toMatchObject({ turn: 1, submitted: null, url: 'https://x/c/1' });
  });
  it('a finished step completes with result and finishedAt', () => {
    const c = completeStep(running(), { done: true, data: {}, result: { ok: 1 }, url: 'u' }, at(3));
    expect(c).toMatchObject({ state: 'completed', result: { ok: 1 }, finishedAt: at(3).toISOString(), llmRequests: 1 });
    expect(isRunnable(c, at(10 * MIN_MS))).toBe(false);
  });
  it('a successful step resets attempts (retries bound one step, not the whole task)', () => {
    const failed = failStep(running(), { kind: 'empty', message: 'e', bundle: null }, T0, () => 0, RETRY);
    expect(failed.attempts).toBe(1);
    const again = completeStep(claimTask(failed, 'mock', T0), { done: false, data: {}, url: null }, T0);
    expect(again.attempts).toBe(0);
  });
  it('markSubmitted needs a running task', () => {
    expect(() => markSubmitted(buildTask(), sub, T0)).toThrow(InvalidTransitionError);
  });
});

describe('isTransient', () => {
  it('classifies every outcome', () => {
    const transient = OUTCOMES.filter(isTransient);
    expect(transient.sort()).toEqual(['accountBlocked', 'challenge', 'loginRequired', 'notSent', 'overloaded', 'rateLimited', 'siteError', 'timeout']);
    expect(isTransient('interrupted')).toBe(true);
    expect(isTransient('empty')).toBe(false);
    expect(isTransient('truncated')).toBe(false);
    expect(isTransient('module')).toBe(false);
  });
});

describe('failStep', () => {
  it('transient failures never count and retry at retryAt', () => {
    let t = running();
    const resetAt = at(30 * MIN_MS);
    for (let i = 0; i < 10; i++) {
      t = failStep(t, { kind: 'rateLimited', message: 'limit', bundle: null, retryAt: resetAt }, T0, () => 0.5, RETRY);
      expect(t.state).toBe('paused');
      t = claimTask(t, 'mock', T0);
    }
    expect(t.attempts).toBe(0);
    const p = failStep(t, { kind: 'rateLimited', message: 'limit', bundle: 'b1', retryAt: resetAt }, T0, () => 0.5, RETRY);
    expect(p.notBefore).toBe(resetAt.toISOString());
    expect(p.lastError).toEqual({ kind: 'rateLimited', message: 'limit', at: T0.toISOString(), bundle: 'b1' });
    expect(isRunnable(p, at(30 * MIN_MS - 1))).toBe(false);
    expect(isRunnable(p, resetAt)).toBe(true);
  });
  it('transient without retryAt waits the short default delay (or the configured one)', () => {
    const p = failStep(running(), { kind: 'timeout', message: 't', bundle: null }, T0, () => 0.9, RETRY);
    expect(p.notBefore).toBe(at(TRANSIENT_RETRY_DELAY_MS).toISOString());
    const q = failStep(running(), { kind: 'siteError', message: 't', bundle: null }, T0, () => 0.9, { ...RETRY, transientDelayMs: 5 });
    expect(q.notBefore).toBe(at(5).toISOString());
  });
  it('counted failures back off with full jitter, then fail after maxRetries', () => {
    let t = running();
    const caps = [60_000, 120_000, 240_000];
    for (let i = 0; i < 3; i++) {
      t = failStep(t, { kind: 'module', message: 'bad', bundle: null }, T0, () => 0.999999, RETRY);
      expect(t.state).toBe('paused');
      expect(t.attempts).toBe(i + 1);
      const delay = Date.parse(t.notBefore!) - T0.getTime();
      expect(delay).toBe(Math.floor(0.999999 * caps[i]!));
      expect(t.readyAt).toBe(t.notBefore);
      t = claimTask(t, 'mock', T0);
    }
    const f = failStep(t, { kind: 'truncated', message: 'cut', bundle: null }, at(9), () => 0.5, RETRY);
    expect(f).toMatchObject({ state: 'failed', attempts: 4, finishedAt: at(9).toISOString(), notBefore: null });
    expect(f.lastError?.kind).toBe('truncated');
  });
  it('maxRetries 0 fails on the first counted failure', () => {
    const f = failStep(running(), { kind: 'empty', message: '', bundle: null }, T0, () => 0, { ...RETRY, maxRetries: 0 });
    expect(f.state).toBe('failed');
  });
  it('clears submitted but keeps the conversation for the retry', () => {
    const t = markSubmitted(running('a'), sub, T0);
    const p = failStep(t, { kind: 'siteError', message: 's', bundle: null }, T0, () => 0, RETRY);
    expect(p.conversation).toMatchObject({ backend: 'a', url: 'https://x/c/1', submitted: null });
  });
  it('property: with a seeded rng every delay is within [0, cap) and the cap grows to maxDelay', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 40 }), (seed, attempt) => {
        const rng = mulberry32(seed);
        const cap = backoffCapMs(attempt, RETRY);
        expect(cap).toBe(Math.min(RETRY.maxDelayMs, RETRY.baseDelayMs * 2 ** (attempt - 1)));
        for (let i = 0; i < 20; i++) {
          const d = fullJitterDelayMs(attempt, rng, RETRY);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThan(cap);
        }
      }),
    );
  });
  it('full jitter actually spreads retries (not a fixed delay)', () => {
    const rng = mulberry32(42);
    const delays = new Set(Array.from({ length: 50 }, () => fullJitterDelayMs(3, rng, RETRY)));
    expect(delays.size).toBeGreaterThan(40);
  });
});

describe('interruptTask', () => {
  it('running → paused keeping submitted (reattach after a crash), idempotent otherwise', () => {
    const t = markSubmitted(running(), sub, T0);
    const p = interruptTask(t, at(MIN_MS));
    expect(p.state).toBe('paused');
    expect(p.conversation?.submitted?.requestId).toBe('r1');
    expect(p.readyAt).toBe(at(MIN_MS).toISOString());
    expect(interruptTask(p, at(2 * MIN_MS))).toBe(p);
    // The reattached answer can complete it directly.
    const done = completeStep(p, { done: true, data: {}, url: null }, at(3 * MIN_MS));
    expect(done.state).toBe('completed');
  });
});

describe('isRunnable', () => {
  it('only pending/paused tasks past notBefore', () => {
    const t = buildTask();
    expect(isRunnable(t, T0)).toBe(true);
    expect(isRunnable({ ...t, notBefore: at(1).toISOString() }, T0)).toBe(false);
    expect(isRunnable({ ...t, notBefore: at(1).toISOString() }, at(1))).toBe(true);
    expect(isRunnable(claimTask(t, 'm', T0), T0)).toBe(false);
  });
  it('a clock going backwards never makes a running task runnable again', () => {
    const t = claimTask(buildTask(), 'm', at(60 * MIN_MS));
    expect(isRunnable(t, T0)).toBe(false);
  });
});

describe('recordPreemption', () => {
  const yielded = () => completeStep(running('b'), { done: false, data: {}, url: 'https://b/c/1' }, T0);
  it('adds when and by whom, and touches nothing else (not a step: the wait and updatedAt go on)', () => {
    const p = yielded();
    const r = recordPreemption(p, 'explorer:synthesis:x', at(MIN_MS));
    expect(r.preemptions).toEqual([{ at: at(MIN_MS).toISOString(), by: 'explorer:synthesis:x' }]);
    expect({ ...r, preemptions: undefined }).toEqual({ ...p, preemptions: undefined });
    expect(p.preemptions).toBeUndefined(); // the input is not mutated
    // The same call again changes nothing; the record survives the task's later transitions.
    expect(recordPreemption(r, 'explorer:synthesis:x', at(MIN_MS))).toBe(r);
    const done = completeStep(claimTask(r, 'b', at(2 * MIN_MS)), { done: true, data: {}, url: null }, at(3 * MIN_MS));
    expect(done.preemptions).toEqual(r.preemptions);
    expect(() => recordPreemption(claimTask(r, 'b', T0), 'x', T0)).toThrow(InvalidTransitionError);
  });
  it('is bounded: keeps the last 24 h and at most PREEMPTION_KEEP_MAX', () => {
    let t = yielded();
    for (let i = 0; i < PREEMPTION_KEEP_MAX + 10; i++) t = recordPreemption(t, `k${i}`, at(i * MIN_MS));
    expect(t.preemptions).toHaveLength(PREEMPTION_KEEP_MAX);
    expect(t.preemptions!.at(-1)).toEqual({ at: at((PREEMPTION_KEEP_MAX + 9) * MIN_MS).toISOString(), by: `k${PREEMPTION_KEEP_MAX + 9}` });
    t = recordPreemption(t, 'late', at(30 * HOUR_MS));
    expect(t.preemptions).toEqual([{ at: at(30 * HOUR_MS).toISOString(), by: 'late' }]);
  });
  it('as a task.put it is an idempotent upsert: applying the record twice gives the same state', () => {
    const p = yielded();
    const events = [{ type: 'task.put' as const, task: recordPreemption(p, 'x', at(MIN_MS)) }];
    const once = applyEvents(emptyState(), events);
    const twice = applyEvents(applyEvents(emptyState(), events), events);
    expect(twice).toEqual(once);
    expect(once.tasks[p.key]!.preemptions).toHaveLength(1);
  });
  it('displacedSinceLastStep: a record at or after the last step, until the task runs again', () => {
    const p = yielded();
    expect(displacedSinceLastStep(p)).toBe(false);
    const r = recordPreemption(p, 'x', at(MIN_MS));
    expect(displacedSinceLastStep(r)).toBe(true);
    const again = completeStep(claimTask(r, 'b', at(2 * MIN_MS)), { done: false, data: {}, url: null }, at(3 * MIN_MS));
    expect(displacedSinceLastStep(again)).toBe(false);
  });
});
