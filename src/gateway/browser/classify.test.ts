import { describe, expect, test } from 'vitest';
import { browserBackendSchema } from '../../config/schema.js';
import { classifyChrome, compileSitePatterns, CompletionTracker, type PageSample } from './classify.js';
import { compilePattern } from './patterns.js';
import { resolveSite } from './sites.js';

const now = new Date(2025, 5, 10, 13, 30, 0);
const chatgpt = compileSitePatterns(resolveSite('chatgpt', browserBackendSchema.parse({ type: 'browser' })).patterns);

describe('patterns', () => {
  test('substrings are case-insensitive and loose about apostrophes and spaces', () => {
    const p = compilePattern("you've  reached");
    expect(p.test('You\u2019ve reached our limit')).toBe(true);
    expect(p.test('you have reached')).toBe(false);
  });
  test('/regex/ entries are regexes, always case-insensitive', () => {
    const p = compilePattern('/limit.*\\d+ (hours|minutes)/');
    expect(p.test('LIMIT resets in 3 HOURS')).toBe(true);
    expect(p.test('limit resets soon')).toBe(false);
  });
});

describe('classifyChrome', () => {
  test.each([
    [["You've reached our limit of messages. Try again in 45 minutes."], 'rateLimited'],
    [['Welcome back. Log in or sign up to continue.'], 'loginRequired'],
    [['Just a moment...', 'Verify you are human'], 'challenge'],
    [['Something went wrong. Please try again.'], 'siteError'],
    [['Network connection lost. Attempting to reconnect…'], 'siteError'],
    [['New chat', 'ChatGPT'], null],
  ])('%j -> %s', (texts, outcome) => {
    expect(classifyChrome(texts, chatgpt, now)?.outcome ?? null).toBe(outcome);
  });

  test('the more specific finding wins: a challenge page that also says "log in"', () => {
    expect(classifyChrome(['Log in to continue', 'Checking your browser before accessing'], chatgpt, now)?.outcome).toBe('challenge');
  });

  test('a rate limit carries the parsed reset time', () => {
    const f = classifyChrome(['You have reached the usage cap until 2:56 PM'], chatgpt, now);
    expect(f).toMatchObject({ outcome: 'rateLimited', resetAt: new Date(2025, 5, 10, 14, 56).toISOString() });
  });

  test('configured patterns replace the defaults', () => {
    const site = resolveSite('x', browserBackendSchema.parse({ type: 'browser', url: 'http://127.0.0.1/', selectors: { input: '#q', response: '.a' }, patterns: { error: ['kaput'] } }));
    const p = compileSitePatterns(site.patterns);
    expect(classifyChrome(['all kaput'], p, now)?.outcome).toBe('siteError');
    expect(classifyChrome(['Something went wrong'], p, now)).toBeNull();
  });
});

function feed(tracker: CompletionTracker, samples: Array<Partial<PageSample> & { atMs: number }>) {
  for (const s of samples) {
    const v = tracker.observe({ busy: false, hasNew: false, text: '', stopped: false, chrome: null, ...s });
    if (v) return { ...v, atMs: s.atMs };
  }
  return null;
}

describe('CompletionTracker', () => {
  const opts = { startMs: 0, watchdogMs: 10_000, stableMs: 2_000, settleMs: 40 };

  test('busy gone + text settled = ok, without waiting stableMs', () => {
    const v = feed(new CompletionTracker(opts), [
      { atMs: 20, busy: true },
      { atMs: 40, busy: true, hasNew: true, text: 'Hel' },
      { atMs: 60, busy: true, hasNew: true, text: 'Hello' },
      { atMs: 80, hasNew: true, text: 'Hello' },
      { atMs: 100, hasNew: true, text: 'Hello' },
      { atMs: 120, hasNew: true, text: 'Hello' },
    ]);
    expect(v).toMatchObject({ outcome: 'ok', text: 'Hello', atMs: 100 });
  });

  test('text still changing after busy went away is not finished yet', () => {
    const v = feed(new CompletionTracker(opts), [
      { atMs: 20, busy: true, hasNew: true, text: 'a' },
      { atMs: 40, hasNew: true, text: 'ab' },
      { atMs: 60, hasNew: true, text: 'abc' },
      { atMs: 80, hasNew: true, text: 'abc' },
      { atMs: 100, hasNew: true, text: 'abc' },
    ]);
    expect(v).toMatchObject({ outcome: 'ok', text: 'abc', atMs: 100 });
  });

  test('without any busy indicator the text must hold for stableMs', () => {
    const t = new CompletionTracker(opts);
    expect(feed(t, [{ atMs: 100, hasNew: true, text: 'x' }, { atMs: 1_000, hasNew: true, text: 'x' }])).toBeNull();
    expect(feed(t, [{ atMs: 2_100, hasNew: true, text: 'x' }])).toMatchObject({ outcome: 'ok' });
  });

  test('busy shown for long with no text change is still waiting (deep thinking), until the watchdog', () => {
    const t = new CompletionTracker(opts);
    expect(feed(t, [{ atMs: 5_000, busy: true, hasNew: true, text: 'thinking' }, { atMs: 9_000, busy: true, hasNew: true, text: 'thinking' }])).toBeNull();
    expect(feed(t, [{ atMs: 10_000, busy: true, hasNew: true, text: 'thinking' }])).toMatchObject({ outcome: 'timeout' });
  });

  test('an empty answer after busy went away is empty, not ok', () => {
    const v = feed(new CompletionTracker(opts), [
      { atMs: 20, busy: true, hasNew: true },
      { atMs: 40, hasNew: true },
      { atMs: 3_000, hasNew: true },
    ]);
    expect(v).toMatchObject({ outcome: 'empty', text: '' });
  });

  test('a stopped marker is truncated, with the partial text', () => {
    const v = feed(new CompletionTracker(opts), [{ atMs: 20, busy: true, hasNew: true, text: 'half' }, { atMs: 40, hasNew: true, text: 'half', stopped: true }]);
    expect(v).toMatchObject({ outcome: 'truncated', text: 'half' });
  });

  test('an error toast after part of the answer is truncated; before any text it is siteError', () => {
    const err = { outcome: 'siteError' as const, text: 'Network connection lost', pattern: 'x', resetAt: null };
    expect(feed(new CompletionTracker(opts), [{ atMs: 20, busy: true, hasNew: true, text: 'part' }, { atMs: 40, hasNew: true, text: 'part', chrome: err }])).toMatchObject({ outcome: 'truncated', text: 'part' });
    expect(feed(new CompletionTracker(opts), [{ atMs: 20, busy: true }, { atMs: 40, chrome: err }])).toMatchObject({ outcome: 'siteError' });
  });

  test('a rate-limit banner after the submit is rateLimited with its reset time', () => {
    const rl = { outcome: 'rateLimited' as const, text: 'limit', pattern: 'x', resetAt: '2025-06-10T12:00:00.000Z' };
    expect(feed(new CompletionTracker(opts), [{ atMs: 20, chrome: rl }])).toMatchObject({ outcome: 'rateLimited', resetAt: '2025-06-10T12:00:00.000Z' });
  });

  test('nothing ever appears: timeout at the watchdog, not before', () => {
    const t = new CompletionTracker(opts);
    expect(feed(t, [{ atMs: 9_999 }])).toBeNull();
    expect(feed(t, [{ atMs: 10_000 }])).toMatchObject({ outcome: 'timeout', detail: expect.stringContaining('no answer appeared') });
  });
});
