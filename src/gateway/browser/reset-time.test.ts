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
