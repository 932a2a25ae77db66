import { describe, expect, test } from 'vitest';
import { parseResetTime } from './reset-time.js';

// Local-time construction on purpose: banners state the browser's (= this process's) local time.
const now = new Date(2025, 5, 10, 13, 30, 0); // 10 June 2025, 13:30 local
const at = (d: number, h: number, m: number, month = 5, year = 2025) => new Date(year, month, d, h, m, 0).toISOString();

describe('parseResetTime', () => {
  test.each([
    ["You've reached the limit. Try again in 3 hours.", new Date(now.getTime() + 3 * 3_600_000).toISOString()],
    ['Please try again in 45 minutes', new Date(now.getTime() + 45 * 60_000).toISOString()],
    ['resets in 1 hour and 30 minutes', new Date(now.getTime() + 90 * 60_000).toISOString()],
    ['try again in 2h 5m', new Date(now.getTime() + 125 * 60_000).toISOString()],
    ['available again in an hour', new Date(now.getTime() + 3_600_000).toISOString()],
    ['usage cap: come back in 30 seconds', new Date(now.getTime() + 30_000).toISOString()],
  ])('relative: %s', (text, expected) => {
    expect(parseResetTime(text, now)).toBe(expected);
  });

  test.each([
    ['You are out of messages until 2:56 PM', at(10, 14, 56)],
    ['limit reached until 2:56pm.', at(10, 14, 56)],
    ['try again at 14:00', at(10, 14, 0)],
    ['try again after 9 AM', at(11, 9, 0)],
    ['until 12:15 AM', at(11, 0, 15)],
    ['You can send more messages tomorrow at 9:00 AM', at(11, 9, 0)],
    ['Your limit resets on June 12 at 3:00 PM', at(12, 15, 0)],
    ['Limit resets Jan 2, 8:00 AM', at(2, 8, 0, 0, 2026)],
  ])('absolute: %s', (text, expected) => {
    expect(parseResetTime(text, now)).toBe(expected);
  });

  test('a clock time already past today means tomorrow', () => {
    expect(parseResetTime('until 1:00 PM', now)).toBe(at(11, 13, 0));
  });

  test.each(['Something went wrong', 'Try again later', 'in a while', 'limit of 25 messages', 'until 25:99'])('no time stated: %s', (text) => {
    expect(parseResetTime(text, now)).toBeNull();
  });
});

describe('parseResetTime: the other forms the sites use', () => {
  test.each([
    ['Resets in 8h 6m', new Date(now.getTime() + (8 * 60 + 6) * 60_000).toISOString()],
    ['Try again in 17 minutes', new Date(now.getTime() + 17 * 60_000).toISOString()],
    ['Your limit resets at midnight', at(11, 0, 0)],
    ['Come back at noon', at(11, 12, 0)],
    ['You can send messages again at noon tomorrow', at(11, 12, 0)],
    ['until 2026-08-25 07:41:44', new Date(2026, 7, 25, 7, 41, 44).toISOString()],
    ['until 2026-08-25T07:41:44Z', '2026-08-25T07:41:44.000Z'],
    ['until 2026-08-25T07:41:44+02:00', '2026-08-25T05:41:44.000Z'],
    ['out of messages until tomorrow', at(11, 0, 0)],
    ['Come back Thursday at 10 AM', at(12, 10, 0)],
    // Today is a Tuesday, 13:30: "Tuesday at 10 AM" is next week's.
    ['Come back Tuesday at 10 AM', at(17, 10, 0)],
    ['resets Feb 16, 11am (Europe/Berlin)', '2026-02-16T10:00:00.000Z'],
  ])('%s', (text, expected) => {
    expect(parseResetTime(text, now)).toBe(expected);
  });

  test('a named zone is that zone’s clock, whatever the machine’s zone', () => {
    const base = new Date('2025-06-10T06:00:00Z');
    // 2:30 PM in India (UTC+5:30) is 09:00 UTC, still ahead on 10 June at 06:00 UTC.
    expect(parseResetTime("You've hit your limit · resets 2:30pm (Asia/Calcutta)", base)).toBe('2025-06-10T09:00:00.000Z');
    // 11 AM in Berlin in June (UTC+2) is 09:00 UTC.
    expect(parseResetTime('resets Jun 16, 11am (Europe/Berlin)', base)).toBe('2025-06-16T09:00:00.000Z');
    expect(parseResetTime('resets at 3pm (America/Santiago)', base)).toBe('2025-06-10T19:00:00.000Z');
  });

  test.each([
    'Too many requests in 1 hour. Try again later.',
    "You've reached our limit of messages per 24 hours. Please try again later.",
    'You have used 50 messages in the last 3 hours',
    'Limit: 40 messages every 3 hours',
  ])('a rate window is not a reset: %s', (text) => {
    expect(parseResetTime(text, now)).toBeNull();
  });
});
