import { describe, expect, it } from 'vitest';
import { buildState, buildTask } from '../store/test-builders.js';
import { isIsoUtc, validateEvent, validateState, validateTask } from './state-validate.js';
import { emptyState } from './types.js';

describe('validateState', () => {
  it('accepts the empty state and a realistic one', () => {
    expect(validateState(emptyState())).toBeNull();
    expect(validateState(JSON.parse(JSON.stringify(buildState(50))))).toBeNull();
  });

  it('accepts extra keys (a newer fano may add fields) but not wrong types', () => {
    const s = buildState(1);
    const k = Object.keys(s.tasks)[0]!;
    expect(validateState({ ...s, extra: 1, meta: { ...s.meta, futureKey: 'x' } })).toBeNull();
    expect(validateState({ ...s, tasks: { [k]: { ...s.tasks[k]!, futureField: [1] } } })).toBeNull();
    expect(validateState({ ...s, meta: { ...s.meta, paused: 'no' } })).toBe('state.meta.paused: expected a boolean');
  });

  it('names the path of the first problem', () => {
    const s = buildState(1);
    const k = Object.keys(s.tasks)[0]!;
    const bad = (over: object) => validateState({ ...s, tasks: { [k]: { ...s.tasks[k]!, ...over } } });
    expect(bad({ state: 'done' })).toBe(`state.tasks["${k}"].state: "done" is not one of pending, running, paused, completed, failed`);
    expect(bad({ readyAt: '2025-01-01 10:00' })).toMatch(/\.readyAt: expected an ISO-8601 UTC time/);
    expect(bad({ key: 'other' })).toMatch(/\.key: "other" differs from its map key/);
    expect(bad({ conversation: { backend: 'x', url: null, turn: 1, submitted: { requestId: 'r', at: 'now', deep: false, promptHash: 'h' } } })).toMatch(
      /\.conversation\.submitted\.at:/,
    );
    expect(bad({ preemptions: [{ at: '2025-01-01T00:00:00.000Z', by: 'k' }] })).toBeNull();
    expect(bad({ preemptions: { at: '2025-01-01T00:00:00.000Z', by: 'k' } })).toMatch(/\.preemptions: expected a list$/);
    expect(bad({ preemptions: [{ at: 'yesterday', by: 'k' }] })).toMatch(/\.preemptions\[0\]\.at: expected an ISO-8601 UTC time/);
    expect(bad({ preemptions: [{ at: '2025-01-01T00:00:00.000Z' }] })).toMatch(/\.preemptions\[0\]\.by: expected a string/);
    expect(validateState({ ...s, schema: 2 })).toMatch(/schema/);
    expect(validateState({ ...s, backends: { mock: { ...s.backends.mock!, recent: ['x'] } } })).toBe(
      'state.backends["mock"].recent: expected a list of ISO-8601 UTC times',
    );
    const backend = (over: object) => validateState({ ...s, backends: { mock: { ...s.backends.mock!, ...over } } });
    expect(backend({ requestsByModule: { consultation: 2, explorer: 7 } })).toBeNull();
    expect(backend({ requestsByModule: null })).toBeNull();
    expect(backend({ requestsByModule: { consultation: -1 } })).toMatch(/\.requestsByModule: expected an object of name -> non-negative integer/);
    expect(backend({ deepByModule: { explorer: 'two' } })).toMatch(/\.deepByModule:/);
  });
});

describe('isIsoUtc', () => {
  it('accepts toISOString output and UTC variants, rejects offsets and non-strings', () => {
    expect(isIsoUtc(new Date(0).toISOString())).toBe(true);
    expect(isIsoUtc('2025-01-01T00:00:00Z')).toBe(true);
    expect(isIsoUtc('2025-01-01T00:00:00+02:00')).toBe(false);
    expect(isIsoUtc('2025-01-01')).toBe(false);
    expect(isIsoUtc(0)).toBe(false);
  });
});

describe('validateEvent', () => {
  it('checks each event type', () => {
    expect(validateEvent({ type: 'task.put', task: buildTask(1) }, 'e')).toBeNull();
    expect(validateEvent({ type: 'task.put', task: { ...buildTask(1), attempts: 1.5 } }, 'e')).toBe('e.task.attempts: expected a non-negative integer');
    expect(validateEvent({ type: 'task.drop', keys: [1] }, 'e')).toMatch(/keys/);
    expect(validateEvent({ type: 'module.put', module: 'm', collection: 'c', id: 'i' }, 'e')).toMatch(/doc/);
    expect(validateEvent({ type: 'module.del', module: 'm', collection: 'c', id: 'i' }, 'e')).toBeNull();
    expect(validateEvent({ type: 'meta.put', key: 'weights', value: { values: { a: 1 }, source: 'guess', reasoning: null, at: null } }, 'e')).toMatch(/source/);
    expect(validateEvent({ type: 'nope' }, 'e')).toMatch(/unknown event type/);
    expect(validateTask(null, 't')).toBe('t: expected an object');
  });
});
