import { describe, expect, it } from 'vitest';
import type { FanoEvent } from './events.js';
import { claimTask } from './lifecycle.js';
import type { QuotaOptions } from './quota.js';
import { decideClaim, decideStep, readAnswer, type StepFacts } from './step-outcome.js';
import { at, buildBackend, buildTask, MIN_MS, T0 } from './test-builders.js';

const Q: QuotaOptions = { hourlyLimit: 10, deepDailyLimit: 2, dayResetHour: 0, decreaseFactor: 0.8, increasePerCleanHour: 1, backoffMs: 30 * MIN_MS };
const RETRY = { maxRetries: 2, baseDelayMs: 60_000, multiplier: 2, maxDelayMs: 600_000 };

function facts(over: Omit<Partial<StepFacts>, 'response'> & { response?: Partial<StepFacts['response']> } = {}): StepFacts {
  const c = decideClaim({
    task: buildTask(),
    backend: 'a',
    backendState: buildBackend(),
    quota: Q,
    request: { deep: false },
    pickDeep: false,
    harvest: false,
    now: T0,
  });
  const { response, ...rest } = over;
  return {
    task: c.task,
    backend: c.backendState,
    quota: Q,
    retry: RETRY,
    deep: false,
    harvest: false,
    claimedAt: T0,
    now: at(MIN_MS),
    rng: () => 0.5,
    response: { outcome: 'ok', resetAt: null, sent: true, url: null, detail: null, bundle: null, ...response },
    verdict: { kind: 'accepted', done: false, data: { step: 1 }, events: [] },
    ...rest,
  };
}

describe('decideStep', () => {
  it('an accepted answer completes the step and counts a clean answer', () => {
    const d = decideStep(facts({ response: { url: 'u://1' } }));
    expect(d.task).toMatchObject({ state: 'paused', data: { step: 1 }, llmRequests: 1, conversation: { url: 'u://1', turn: 1 } });
    expect(d.backend.recent).toHaveLength(1);
    expect(d.failed).toBeNull();
  });

  it("adds the step's run time (claim to answer) to the task's runMs, whatever the outcome", () => {
    const first = decideStep(facts({ now: at(3 * MIN_MS) }));
    expect(first.task.runMs).toBe(3 * MIN_MS);
    const second = decideStep(
      facts({ task: { ...first.task, state: 'running' }, claimedAt: at(60 * MIN_MS), now: at(62 * MIN_MS), response: { outcome: 'timeout' } }),
    );
    expect(second.task.runMs, 'the 57 minutes between the steps are queue waiting, not run time').toBe(5 * MIN_MS);
  });

  it('a rejected answer keeps what the module kept and its events, and fails the step', () => {
    const ev: FanoEvent = { type: 'module.put', module: 'explorer', collection: 'rawAnswers', id: 'r1', doc: { a: 1 } };
    const d = decideStep(facts({ verdict: { kind: 'rejected', message: 'bad', data: { kept: 1 }, events: [ev] } }));
    expect(d.task).toMatchObject({ state: 'paused', attempts: 1, data: { kept: 1 }, lastError: { kind: 'module', message: 'answer not usable: bad' } });
    expect(d.events).toContainEqual(ev);
  });

  it('a rate limit that never reached the site still counts; other unsent failures are given back', () => {
    const reset = at(40 * MIN_MS);
    const limited = decideStep(facts({ response: { outcome: 'rateLimited', sent: false, resetAt: reset } }));
    expect(limited.backend.recent).toHaveLength(1);
    expect(limited.backend.rateLimitedUntil).toBe(reset.toISOString());
    // The backend rests; the task may go elsewhere at once (the allocator decides).
    expect(limited.task).toMatchObject({ state: 'paused', notBefore: at(MIN_MS).toISOString(), attempts: 0 });
    const unsent = decideStep(facts({ response: { outcome: 'siteError', sent: false } }));
    expect(unsent.backend.recent).toHaveLength(0);
    const harvest = decideStep(facts({ harvest: true, response: { outcome: 'siteError', sent: false } }));
    expect(harvest.backend.recent).toHaveLength(1);
  });

  it('a deep-only refusal leaves the backend open; an overloaded site names its retry time', () => {
    const deepOnly = decideStep(facts({ deep: true, response: { outcome: 'rateLimited', sent: true, deepOnly: true, resetAt: at(5 * 60 * MIN_MS) } }));
    expect(deepOnly.backend.rateLimitedUntil).toBeNull();
    expect(deepOnly.task.notBefore).toBe(at(MIN_MS).toISOString());
    const over = decideStep(facts({ response: { outcome: 'overloaded', resetAt: at(7 * MIN_MS) } }));
    expect(over.task.notBefore).toBe(at(7 * MIN_MS).toISOString());
  });

  it('the last failure is handed to the module, a recovery is reported', () => {
    const tired = { ...facts().task, attempts: 2 };
    const d = decideStep(facts({ task: tired, response: { outcome: 'empty', detail: 'nothing came' } }));
    expect(d.task.state).toBe('failed');
    expect(d.failed).toBe('nothing came');
    const r = decideStep(facts({ backend: buildBackend({ rateLimitedUntil: T0.toISOString() }) }));
    expect(r.recovered).toBe(true);
  });

  it('readAnswer turns a throwing handler into a rejection', () => {
    expect(
      readAnswer(() => {
        throw new Error('no yaml');
      }),
    ).toEqual({ kind: 'rejected', message: 'no yaml', events: [] });
  });
});

describe('decideClaim', () => {
  it('another backend starts a fresh thread; a harvest is not counted again; a displaced conversation records it', () => {
    const held = { ...claimTask(buildTask(), 'a', T0), state: 'paused' as const };
    const moved = decideClaim({
      task: held,
      backend: 'b',
      backendState: buildBackend(),
      quota: Q,
      request: { deep: true, data: { x: 1 } },
      pickDeep: false,
      harvest: false,
      now: T0,
    });
    expect(moved.task.conversation).toEqual({ backend: 'b', url: null, turn: 0, submitted: null });
    expect(moved.deep).toBe(false);
    expect(moved.task.data).toMatchObject({ x: 1 });
    expect(moved.backendState.recent).toHaveLength(1);
    const harvest = decideClaim({
      task: held,
      backend: 'a',
      backendState: buildBackend(),
      quota: Q,
      request: { deep: false },
      pickDeep: false,
      harvest: true,
      displaced: buildTask(),
      now: T0,
    });
    expect(harvest.backendState.recent).toHaveLength(0);
    expect(harvest.displaced?.preemptions).toHaveLength(1);
  });

  it("a module that continues a conversation on this backend makes it the task's; a submitted mark keeps its own", () => {
    const base = { backend: 'a', backendState: buildBackend(), quota: Q, pickDeep: false, harvest: false, now: T0 };
    const cont = decideClaim({ ...base, task: buildTask(), request: { deep: false, conversationUrl: 'u://chat' } });
    expect(cont.task.conversation).toMatchObject({ backend: 'a', url: 'u://chat', submitted: null });
    expect(decideClaim({ ...base, task: buildTask(), request: { deep: false } }).task.conversation?.url).toBeNull();
    const mark = { requestId: 'r1', at: T0.toISOString(), deep: false, promptHash: 'h' };
    const sent = { ...buildTask(), state: 'paused' as const, conversation: { backend: 'a', url: 'u://other', turn: 0, submitted: mark } };
    expect(decideClaim({ ...base, task: sent, request: { deep: false, conversationUrl: 'u://chat' } }).task.conversation?.url).toBe('u://other');
  });
});
