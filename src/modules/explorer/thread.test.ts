import { describe, expect, test } from 'vitest';
import { buildBackend } from '../../core/test-builders.js';
import { threadSection } from './prompts.js';
import { AT, NOW, options, stateWith, thread } from './test-builders.js';
import { appendExchange, chooseExchangeBackend, heldConversation, makeExchange, roleFor } from './thread.js';

describe('threads', () => {
  test("an exploration keeps its chat: the exchange before last's backend, whose chat has seen the thread through it", () => {
    const t = thread({}, 2, ['mock-c', 'mock-a']);
    const chats = ['mock://c/1', 'mock://a/1'];
    t.exchanges.forEach((e, i) => (e.chat = { url: chats[i]!, how: 'opened' }));
    const state = stateWith();
    expect(heldConversation(t, 'mock-c', 2)).toEqual({ url: 'mock://c/1', through: 0 });
    expect(heldConversation(t, 'mock-a', 2)).toEqual({ url: 'mock://a/1', through: 1 });
    expect(heldConversation(t, 'mock-b', 2)).toBeNull();
    // mock-c holds the explore turns' chat: it keeps them, even though mock-b was used less
    expect(chooseExchangeBackend(t, 'q1', 2, state, NOW, options())).toBe('mock-c');
    // a chat that never saw the thread (a repair on another backend) or none at all (an HTTP API) is not kept
    t.exchanges[0]!.chat = { url: 'mock://c/1', how: 'repair' };
    expect(heldConversation(t, 'mock-c', 2)).toBeNull();
    t.exchanges[0]!.chat = { url: null, how: 'opened' };
    expect(heldConversation(t, 'mock-c', 2)).toBeNull();
    expect(chooseExchangeBackend(t, 'q1', 2, state, NOW, options())).not.toBe('mock-c');
  });

  test('exchanges alternate explore and critique', () => {
    expect([0, 1, 2, 3].map(roleFor)).toEqual(['explore', 'critique', 'explore', 'critique']);
  });

  test('the next exchange goes to another backend than the previous one, preferring usable ones', () => {
    const t = thread({}, 1, ['mock-a']);
    const state = stateWith();
    expect(chooseExchangeBackend(t, 'q1', 1, state, NOW, options())).not.toBe('mock-a');
    // mock-b rate-limited: mock-c is chosen, never the previous backend while another is usable
    state.backends['mock-b'] = buildBackend({ rateLimitedUntil: new Date(NOW.getTime() + 3_600_000).toISOString() });
    expect(chooseExchangeBackend(t, 'q1', 1, state, NOW, options())).toBe('mock-c');
    // with one backend there is no choice
    expect(chooseExchangeBackend(t, 'q1', 1, state, NOW, options({}, ['mock-a']))).toBe('mock-a');
    // every other backend unusable: still another vendor rather than the same one (it waits for it)
    state.backends['mock-c'] = buildBackend({ needsHuman: { reason: 'login', since: AT, bundle: null } });
    expect(chooseExchangeBackend(t, 'q1', 1, state, NOW, options({}, ['mock-a', 'mock-b']))).toBe('mock-b');
  });

  test('past the context budget older exchanges fold into a pinned summary; the newest stay verbatim', () => {
    const opts = { contextBudgetChars: 1000, keepRecentExchanges: 2, summaryMaxChars: 2000 };
    let t = thread();
    for (let i = 0; i < 8; i++) {
      const text = `Definition ${i}: ${'x'.repeat(400)}.\nKEY POINTS: symbol S${i} means the ${i}-th thing`;
      t = appendExchange(t, makeExchange({ index: i, backend: i % 2 ? 'b' : 'a', mode: 'normal', text, at: AT }), opts);
    }
    expect(t.exchanges).toHaveLength(8); // the stored thread keeps everything
    expect(t.summary).not.toBeNull();
    expect(t.summary!.throughIndex).toBe(5);
    // the summary is running notes of EVERY folded exchange, the earliest definitions included
    for (let i = 0; i <= 5; i++) expect(t.summary!.text).toContain(`symbol S${i} means`);
    const section = threadSection(t, opts);
    expect(section).toContain('pinned running notes');
    expect(section).toContain('symbol S0 means');
    expect(section).not.toContain('[#5 ');
    expect(section).toContain('[#6 ');
    expect(section).toContain('[#7 ');
    // appending the same exchange again is a no-op
    expect(appendExchange(t, t.exchanges[7]!, opts)).toBe(t);
  });

  test('a small thread is not summarized', () => {
    const t = appendExchange(thread(), makeExchange({ index: 0, backend: 'a', mode: 'normal', text: 'short', at: AT }), {
      contextBudgetChars: 8000,
      keepRecentExchanges: 2,
      summaryMaxChars: 2000,
    });
    expect(t.summary).toBeNull();
  });

  test('the summary itself is bounded, keeping its head (earliest notes)', () => {
    const opts = { contextBudgetChars: 1000, keepRecentExchanges: 1, summaryMaxChars: 300 };
    let t = thread();
    for (let i = 0; i < 20; i++)
      t = appendExchange(t, makeExchange({ index: i, backend: 'a', mode: 'normal', text: `${'y'.repeat(900)}\nKEY POINTS: note number ${i}`, at: AT }), opts);
    expect(t.summary!.text.length).toBeLessThanOrEqual(300);
    expect(t.summary!.text).toContain('note number 0');
    expect(t.summary!.text).toContain('note number 18');
  });
});
