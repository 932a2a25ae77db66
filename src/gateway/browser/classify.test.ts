import { describe, expect, test } from 'vitest';
import { browserBackendSchema } from '../../config/schema.js';
import { fileSiteCatalog } from '../../config/site-adapters.js';
import { classifyAnswerBody, classifyChrome, compileSitePatterns } from './classify.js';
import { compilePattern } from './patterns.js';
import { resolveSite } from './sites.js';

// Local-time construction on purpose: banners state the browser's (= this process's) local time.
const now = new Date(2026, 1, 10, 13, 30, 0); // Tuesday 10 February 2026, 13:30 local
const local = (y: number, mo: number, d: number, h: number, mi = 0) => new Date(y, mo, d, h, mi, 0).toISOString();
const sites = fileSiteCatalog(null);
const compiled = (name: string) => compileSitePatterns(resolveSite(name, browserBackendSchema.parse({ type: 'browser' }), sites).patterns);
const chatgpt = compiled('chatgpt');
const gemini = compiled('gemini');
const claude = compiled('claude');

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

/**
 * The sites' own words, exactly as maintained projects and their issue threads recorded them
 * (see the README's "Real chat sites" section): each text, the site it is seen on, what it must
 * classify as, and the reset time it states.
 */
describe('the real sites’ limit and error texts', () => {
  test.each([
    ['claude', 'You’ve hit your limit for Claude messages. Limits will reset at 9:30 AM. View your usage details.', 'rateLimited', local(2026, 1, 11, 9, 30)],
    ['claude', "You've hit your limit · resets Feb 16, 11am (Europe/Berlin)", 'rateLimited', '2026-02-16T10:00:00.000Z'],
    ['claude', "You've hit your limit · resets 2:30pm (Asia/Calcutta)", 'rateLimited', null],
    ['claude', 'Claude usage limit reached. Your limit will reset at 3pm (America/Santiago).', 'rateLimited', null],
    ['claude', 'You are out of free messages until 3 PM', 'rateLimited', local(2026, 1, 10, 15)],
    ['claude', 'Come back Thursday at 10 AM', 'rateLimited', local(2026, 1, 12, 10)],
    [
      'chatgpt',
      "You've reached the current usage cap for GPT-4. You can continue with the default model now, or try again after 7:06 PM.",
      'rateLimited',
      local(2026, 1, 10, 19, 6),
    ],
    ['chatgpt', "You've reached our limit of messages per 24 hours. Please try again later.", 'rateLimited', null],
    ['chatgpt', 'You have sent too many messages to the model. Please try again later.', 'rateLimited', null],
    ['chatgpt', 'Too many requests in 1 hour. Try again later.', 'rateLimited', null],
    [
      'chatgpt',
      'Only one message at a time. Please allow any other responses to complete before sending another message, or wait one minute.',
      'transient',
      null,
    ],
    ['gemini', "You've reached your limit for chats with Deep Think until Jan 10, 2:56 PM", 'deepLimited', local(2027, 0, 10, 14, 56)],
    ['gemini', 'A lot of people are using Deep Think right now and I need a moment to sort through everything', 'overloaded', null],
    ['chatgpt', 'Network connection lost. Attempting to reconnect…', 'reconnecting', null],
    ['chatgpt', 'Reconnecting…', 'reconnecting', null],
    ['gemini', 'Stopped thinking', 'reconnecting', null],
    [
      'chatgpt',
      'Suspicious activity detected. To secure your account, we have temporarily limited access. Follow the steps to regain access.',
      'accountBlocked',
      null,
    ],
    ['chatgpt', 'Something went wrong. If this issue persists please contact us through our help center.', 'siteError', null],
  ])('%s: %s', (site, text, kind, resetAt) => {
    const f = classifyChrome([text], compiled(site), now);
    expect(f?.kind).toBe(kind);
    if (resetAt !== null) expect(f?.resetAt).toBe(resetAt);
    if (kind === 'rateLimited' && resetAt === null && !/\(/.test(text)) expect(f?.resetAt).toBeNull();
  });

  test('reset times in a named zone are that zone’s clock', () => {
    // 14:30 in India (UTC+5:30) is 09:00 UTC; 15:00 in Santiago in February (summer, UTC-3) is 18:00 UTC.
    expect(classifyChrome(["You've hit your limit · resets 2:30pm (Asia/Calcutta)"], claude, now)?.resetAt).toMatch(/T09:00:00\.000Z$/);
    expect(classifyChrome(['Claude usage limit reached. Your limit will reset at 3pm (America/Santiago).'], claude, now)?.resetAt).toMatch(/T18:00:00\.000Z$/);
  });

  test('nothing in ordinary chrome', () => {
    expect(classifyChrome(['New chat', 'ChatGPT'], chatgpt, now)).toBeNull();
  });

  test('the more specific finding wins', () => {
    expect(classifyChrome(['Log in to continue', 'Checking your browser before accessing'], chatgpt, now)?.kind).toBe('challenge');
    expect(classifyChrome(["You've reached your limit for chats with Deep Think until Jan 10, 2:56 PM"], gemini, now)?.kind).toBe('deepLimited');
    expect(classifyChrome(['Suspicious activity detected. Please log in again.'], chatgpt, now)?.kind).toBe('accountBlocked');
  });

  test('configured patterns replace the defaults', () => {
    const site = resolveSite(
      'x',
      browserBackendSchema.parse({ type: 'browser', url: 'http://127.0.0.1/', selectors: { input: '#q', response: '.a' }, patterns: { error: ['kaput'] } }),
      sites,
    );
    const p = compileSitePatterns(site.patterns);
    expect(classifyChrome(['all kaput'], p, now)?.kind).toBe('siteError');
    expect(classifyChrome(['Something went wrong'], p, now)).toBeNull();
  });
});

describe('classifyAnswerBody', () => {
  test.each([
    ["I'm on it… generating your response. Check back later.", 'stillWorking'],
    ['A lot of people are using Deep Think right now and I need a moment to sort through everything. Try again in a bit.', 'overloaded'],
    ['The Fano plane has seven points and seven lines.', null],
    ['', null],
  ])('gemini: %s -> %s', (text, kind) => {
    expect(classifyAnswerBody(text, gemini)).toBe(kind);
  });
  test('a long answer that quotes a placeholder is an answer', () => {
    expect(classifyAnswerBody(`${'A real answer. '.repeat(40)}It said "I'm on it" once.`, gemini)).toBeNull();
  });
});
