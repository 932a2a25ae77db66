import { describe, expect, test } from 'vitest';
import type { ChromeFinding } from './classify.js';
import { CompletionTracker, submitState, type CompletionOptions, type SubmitBaseline, type TrackedSample } from './completion.js';

const BASE: CompletionOptions = {
  startMs: 0,
  watchdogMs: 60_000,
  hasDoneMarker: false,
  donePolls: 3,
  quietMs: 1_000,
  fallbackMs: 20_000,
  reloadQuietMs: 5_000,
  overloadedRetryMs: 600_000,
  transientRetryMs: 60_000,
};
const iso = (ms: number) => `+${ms}`;

type S = Partial<TrackedSample> & { atMs: number };
const sample = (s: S): TrackedSample => ({
  busy: false,
  thinking: false,
  done: false,
  hasNew: false,
  text: '',
  stopped: false,
  chrome: null,
  body: null,
  ...s,
});

/** Feeds samples every `step` ms from `from` with the given fields; returns the first verdict and when. */
function run(opts: Partial<CompletionOptions>, phases: Array<[number, Omit<S, 'atMs'>]>, step = 25) {
  const t = new CompletionTracker({ ...BASE, ...opts }, iso);
  let at = 0;
  for (const [until, fields] of phases) {
    for (; at < until; at += step) {
      const v = t.observe(sample({ atMs: at, ...fields }));
      if (v) return { v, at };
    }
  }
  return null;
}

const streaming = (text: string) => ({ busy: true, hasNew: true, text });

describe('a site with a finished-turn marker', () => {
  const opts = { hasDoneMarker: true };

  test('complete once the marker shows and the text holds still for donePolls samples', () => {
    const r = run(opts, [
      [500, streaming('Hel')],
      [1000, streaming('Hello world')],
      [1100, { hasNew: true, text: 'Hello world' }], // busy gone, no marker yet: not done
      [5000, { hasNew: true, text: 'Hello world', done: true }],
    ]);
    expect(r?.v).toMatchObject({ outcome: 'ok', text: 'Hello world' });
    expect(r!.at).toBe(1100 + 2 * 25); // the third sample with the marker
  });

  test('a thinking gap — stop button gone, shimmer shown, text still — never completes', () => {
    const r = run(opts, [
      [500, streaming('Preamble.')],
      [2000, { hasNew: true, text: 'Preamble.', thinking: true }],
      [2500, streaming('Preamble. The answer.')],
      [3000, { hasNew: true, text: 'Preamble. The answer.', done: true }],
    ]);
    expect(r?.v).toMatchObject({ outcome: 'ok', text: 'Preamble. The answer.' });
    expect(r!.at).toBeGreaterThanOrEqual(2500);
  });

  test('text that stops changing without the marker is not an answer, however long it holds, until the fallback', () => {
    const r = run(opts, [
      [300, streaming('Half an ans')],
      [60_000, { hasNew: true, text: 'Half an ans' }],
    ]);
    expect(r?.v).toMatchObject({ outcome: 'ok', text: 'Half an ans', fallback: true });
    expect(r!.at).toBeGreaterThanOrEqual(275 + 20_000); // the last busy sample was at 275
  });

  test('text that changes while the marker shows restarts the count', () => {
    const r = run(opts, [
      [50, { hasNew: true, text: 'a', done: true }],
      [100, { hasNew: true, text: 'ab', done: true }],
      [1000, { hasNew: true, text: 'abc', done: true }],
    ]);
    expect(r?.v).toMatchObject({ outcome: 'ok', text: 'abc' });
  });

  test('an empty answer with its marker is empty, fast', () => {
    const r = run(opts, [
      [200, { busy: true }],
      [3000, { hasNew: true, text: '', done: true }],
    ]);
    expect(r?.v).toMatchObject({ outcome: 'empty' });
    expect(r!.at).toBeLessThan(400);
  });

  test('a placeholder answer ("I’m on it…") keeps it waiting even with the marker', () => {
    const r = run(opts, [
      [5000, { hasNew: true, text: "I'm on it", done: true, body: 'stillWorking' }],
      [6000, { hasNew: true, text: 'The real answer.', done: true }],
    ]);
    expect(r?.v).toMatchObject({ outcome: 'ok', text: 'The real answer.' });
    expect(r!.at).toBeGreaterThanOrEqual(5000);
  });
});

describe('a site without one', () => {
  test('busy gone and text still for quietMs', () => {
    const r = run({}, [
      [500, streaming('Hello')],
      [5000, { hasNew: true, text: 'Hello' }],
    ]);
    expect(r?.v).toMatchObject({ outcome: 'ok', text: 'Hello' });
    expect(r!.at).toBe(475 + 1000); // the last busy sample was at 475
  });

  test('never on a few milliseconds: a 700 ms pause mid-answer is waited out', () => {
    const r = run({}, [
      [300, streaming('First half.')],
      [1000, { hasNew: true, text: 'First half.' }],
      [1200, streaming('First half. Second half.')],
      [5000, { hasNew: true, text: 'First half. Second half.' }],
    ]);
    expect(r?.v).toMatchObject({ outcome: 'ok', text: 'First half. Second half.' });
  });

  test('busy seen, then gone with no text: empty after quietMs', () => {
    const r = run({}, [
      [200, { busy: true }],
      [5000, {}],
    ]);
    expect(r?.v).toMatchObject({ outcome: 'empty', detail: 'the site finished without showing an answer' });
    expect(r!.at).toBeLessThan(200 + 1100);
  });

  test('nothing at all: waits for the watchdog', () => {
    const r = run({ watchdogMs: 3000 }, [[10_000, {}]]);
    expect(r?.v).toMatchObject({ outcome: 'timeout', detail: 'no finished answer after 3000 ms: no answer appeared' });
  });

  test('still generating at the watchdog: timeout with the partial text', () => {
    const r = run({ watchdogMs: 2000 }, [[10_000, streaming('partial')]]);
    expect(r?.v).toMatchObject({ outcome: 'timeout', text: 'partial', detail: expect.stringContaining('still shows it is generating') });
  });
});

describe('what the site says', () => {
  const finding = (kind: ChromeFinding['kind'], resetAt: string | null = null): ChromeFinding => ({ kind, text: 'banner', pattern: 'p', resetAt });

  test('a stopped marker is truncated, with the partial text', () => {
    expect(
      run({}, [
        [300, streaming('par')],
        [1000, { hasNew: true, text: 'part', stopped: true }],
      ])?.v,
    ).toMatchObject({ outcome: 'truncated', text: 'part' });
  });

  test('limits and walls end the request', () => {
    expect(run({}, [[100, { chrome: finding('rateLimited', '2026-01-01T00:00:00.000Z') }]])?.v).toMatchObject({
      outcome: 'rateLimited',
      resetAt: '2026-01-01T00:00:00.000Z',
    });
    expect(run({}, [[100, { chrome: finding('deepLimited', 'x') }]])?.v).toMatchObject({ outcome: 'rateLimited', deepOnly: true, resetAt: 'x' });
    expect(run({}, [[100, { chrome: finding('transient') }]])?.v).toMatchObject({ outcome: 'overloaded', resetAt: '+60000' });
    expect(run({}, [[100, { chrome: finding('overloaded') }]])?.v).toMatchObject({ outcome: 'overloaded', resetAt: '+600000' });
    expect(run({}, [[100, { chrome: finding('accountBlocked') }]])?.v).toMatchObject({ outcome: 'accountBlocked' });
  });

  test('an overload notice written as the answer is overloaded, never ok', () => {
    expect(run({ hasDoneMarker: true }, [[1000, { hasNew: true, text: 'A lot of people…', done: true, body: 'overloaded' }]])?.v).toMatchObject({
      outcome: 'overloaded',
      resetAt: '+600000',
    });
  });

  test('a site error after part of the answer is truncated; before it, a site error', () => {
    expect(
      run({}, [
        [100, streaming('part')],
        [200, { hasNew: true, text: 'part', chrome: finding('siteError') }],
      ])?.v,
    ).toMatchObject({ outcome: 'truncated', text: 'part' });
    expect(run({}, [[100, { chrome: finding('siteError') }]])?.v).toMatchObject({ outcome: 'siteError' });
  });

  test('a lost connection asks for a reload; after it, an answer that does not continue is truncated', () => {
    const t = new CompletionTracker({ ...BASE, hasDoneMarker: true }, iso);
    t.observe(sample({ atMs: 0, ...streaming('half') }));
    expect(t.observe(sample({ atMs: 25, hasNew: true, text: 'half', chrome: finding('reconnecting') }))).toEqual({
      reconnect: expect.objectContaining({ kind: 'reconnecting' }),
    });
    t.reloaded(100);
    let v = null;
    for (let at = 125; !v && at < 20_000; at += 25) v = t.observe(sample({ atMs: at, hasNew: true, text: 'half' }));
    expect(v).toMatchObject({ outcome: 'truncated', text: 'half' });
  });

  test('after a reload, an answer that finishes is ok', () => {
    const t = new CompletionTracker({ ...BASE, hasDoneMarker: true }, iso);
    t.reloaded(0);
    let v = null;
    for (let at = 25; !v && at < 2000; at += 25) v = t.observe(sample({ atMs: at, hasNew: true, text: 'whole answer', done: at > 500, busy: at <= 500 }));
    expect(v).toMatchObject({ outcome: 'ok', text: 'whole answer' });
  });
});

describe('submitState', () => {
  const base: SubmitBaseline = { url: 'u0', userCount: 1, responseCount: 1, startMs: 0, evidenceMs: 3000, holdsPrompt: (t) => t === 'the prompt' };
  const s = (o: Partial<Parameters<typeof submitState>[1]>) => ({
    atMs: 100,
    url: 'u0',
    userCount: 1,
    responseCount: 1,
    busy: false,
    thinking: false,
    inputText: 'the prompt',
    chrome: null,
    ...o,
  });

  test.each([
    ['a user turn appeared', { userCount: 2 }],
    ['an answer appeared', { responseCount: 2 }],
    ['busy', { busy: true }],
    ['thinking', { thinking: true }],
    ['the URL changed', { url: 'u1' }],
    ['the composer was cleared', { inputText: '' }],
    ['a banner answered', { chrome: { kind: 'rateLimited' as const, text: 't', pattern: 'p', resetAt: null } }],
  ])('sent: %s', (_, o) => {
    expect(submitState(base, s(o))).toBe('sent');
  });

  test('no sign yet: waiting; none by evidenceMs with the prompt still in the composer: notSent', () => {
    expect(submitState(base, s({}))).toBe('waiting');
    expect(submitState(base, s({ atMs: 3000 }))).toBe('notSent');
  });

  test('the composer changed without any other sign: counted as sent when the time is up (never resent blindly)', () => {
    expect(submitState(base, s({ inputText: 'the prom' }))).toBe('waiting');
    expect(submitState(base, s({ atMs: 3000, inputText: 'the prom' }))).toBe('sent');
    expect(submitState(base, s({ atMs: 3000, inputText: null }))).toBe('sent');
  });
});
