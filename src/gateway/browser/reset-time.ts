import { wallTimeToInstant, wallTimeOf, validTimeZone, type WallTime } from './zoned-time.js';

/**
 * Parses the reset time a limit banner states, relative to `now`. Pure: `now` is an argument.
 * The forms the sites use (see the limit-text tests for the exact banners):
 *  - relative: "in 3 hours", "in 1 hour and 30 minutes", "Resets in 8h 6m", "in about 45 minutes";
 *  - a clock time, the next time the clock shows it: "until 2:56 PM", "at 14:00", "at 9:30 AM",
 *    "at midnight", "at noon";
 *  - with a day: "tomorrow at 9:00 AM", "until tomorrow", "Thursday at 10 AM", "on June 5 at 3:00 PM",
 *    "Feb 16, 11am", "until 2026-08-25 07:41:44" (ISO, with or without an offset);
 *  - in a named zone: "resets 2:30pm (Asia/Calcutta)". Without one, clock times are the browser's
 *    local time, which is this process's (Chromium inherits TZ).
 * A rate *window* is not a reset: "Too many requests in 1 hour", "messages per 24 hours" and "in the
 * last 3 hours" state how the site counts, not when it forgives.
 */

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function unitKey(word: string): string | null {
  const w = word.toLowerCase();
  if (/^(s|secs?|seconds?)$/.test(w)) return 's';
  if (/^(m|mins?|minutes?)$/.test(w)) return 'm';
  if (/^(h|hrs?|hours?)$/.test(w)) return 'h';
  if (/^(d|days?)$/.test(w)) return 'd';
  return null;
}

const DURATION = String.raw`(?:\d+(?:\.\d+)?|an?|one)\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b`;
/** Phrases that state how a site counts, never when it resets. Removed before parsing. */
const WINDOW_PHRASES = [
  // "too many requests in 1 hour", "50 messages in the last 3 hours"
  new RegExp(
    String.raw`\b(?:requests?|messages?|prompts?|chats?|queries|conversations?|uses?)\b(?:\s+\w+){0,3}?\s+(?:in|within|over|during)\s+(?:the\s+)?(?:last\s+|past\s+)?${DURATION}`,
    'gi',
  ),
  new RegExp(String.raw`\b(?:per|every|each)\s+(?:${DURATION}|hour|day|week)`, 'gi'),
  new RegExp(String.raw`\bin\s+the\s+(?:last|past)\s+${DURATION}`, 'gi'),
];

function withoutWindows(text: string): string {
  let out = text;
  for (const re of WINDOW_PHRASES) out = out.replace(re, ' ');
  return out;
}

/** "in 3 hours", "in 1 hour and 30 minutes", "in 2h 5m", "in about 45 minutes". */
function parseRelative(text: string, now: Date): Date | null {
  // A number may touch its unit ("2h"); a word number may not ("an" must not eat the "d" of "and").
  const m = /\bin\s+(?:about\s+|approximately\s+|~\s*)?((?:(?:\d+(?:\.\d+)?\s*|\b(?:an?|one)\s+)[a-z]+[\s,]*(?:and\s+)?)+)/i.exec(text);
  if (!m) return null;
  let total = 0;
  for (const part of (m[1] ?? '').matchAll(/(\d+(?:\.\d+)?(?=\s*[a-z])|\b(?:an?|one)(?=\s))\s*([a-z]+)/gi)) {
    const unit = unitKey(part[2] ?? '');
    if (!unit) continue;
    const raw = (part[1] ?? '').toLowerCase();
    const n = raw === 'a' || raw === 'an' || raw === 'one' ? 1 : Number(raw);
    total += n * (UNIT_MS[unit] ?? 0);
  }
  return total > 0 ? new Date(now.getTime() + total) : null;
}

interface ClockTime {
  hours: number;
  minutes: number;
}

/** "2:56 PM", "2 PM", "11am", "14:00", "midnight", "noon": the first clock time in the text. */
function parseClock(text: string): ClockTime | null {
  const re = /\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\b\.?|\b(\d{1,2}):(\d{2})(?::\d{2})?\b|\b(midnight|noon|midday)\b/gi;
  for (const m of text.matchAll(re)) {
    if (m[6]) return m[6].toLowerCase() === 'midnight' ? { hours: 0, minutes: 0 } : { hours: 12, minutes: 0 };
    if (m[3]) {
      let h = Number(m[1]);
      const min = m[2] ? Number(m[2]) : 0;
      if (h < 1 || h > 12 || min > 59) continue;
      if (h === 12) h = 0;
      return { hours: m[3].toLowerCase() === 'p' ? h + 12 : h, minutes: min };
    }
    const h = Number(m[4]);
    const min = Number(m[5]);
    if (h > 23 || min > 59) continue;
    return { hours: h, minutes: min };
  }
  return null;
}

/** "June 5", "Jun 5th", "Feb 16,", "5 June": the first month-and-day in the text. */
function parseMonthDay(text: string): { month: number; day: number } | null {
  for (const m of text.matchAll(/\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!:)/gi)) {
    const month = MONTHS.indexOf((m[1] ?? '').slice(0, 3).toLowerCase());
    if (month >= 0 && Number(m[2]) >= 1 && Number(m[2]) <= 31) return { month, day: Number(m[2]) };
  }
  for (const m of text.matchAll(/\b(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3,9})\b/gi)) {
    const month = MONTHS.indexOf((m[2] ?? '').slice(0, 3).toLowerCase());
    if (month >= 0 && Number(m[1]) >= 1 && Number(m[1]) <= 31) return { month, day: Number(m[1]) };
  }
  return null;
}

function parseWeekday(text: string): number | null {
  const m = /\b(sun|mon|tue|wed|thu|fri|sat)[a-z]*day\b/i.exec(text) ?? /\b(sun|mon|tues?|wed|thur?s?|fri|sat)\b\.?/i.exec(text);
  if (!m) return null;
  const key = (m[1] ?? '').slice(0, 3).toLowerCase();
  const i = WEEKDAYS.findIndex((d) => d.startsWith(key));
  return i >= 0 ? i : null;
}

/** "(Europe/Berlin)", "(UTC)", "Asia/Calcutta": a zone the runtime knows, or undefined. */
function parseZone(text: string): string | undefined {
  for (const m of text.matchAll(/\(\s*([A-Za-z][\w+-]*(?:\/[A-Za-z][\w+-]*){0,2})\s*\)|\b([A-Z][a-z]+\/[A-Z][A-Za-z_]+(?:\/[A-Z][A-Za-z_]+)?)\b/g)) {
    const zone = m[1] ?? m[2];
    if (zone && validTimeZone(zone)) return zone;
  }
  return undefined;
}

/** "2026-08-25 07:41:44", "2026-08-25T07:41:44Z", "2026-08-25T07:41+02:00". */
function parseIso(text: string, zone: string | undefined): Date | null {
  const m = /\b(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?/i.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return null;
  if (m[7]) {
    const off = m[7].toUpperCase() === 'Z' ? 0 : (m[7][0] === '-' ? -1 : 1) * (Number(m[7].slice(1, 3)) * 60 + Number(m[7].slice(-2)));
    return new Date(Date.UTC(y, mo - 1, d, h, mi, s) - off * 60_000);
  }
  return wallTimeToInstant({ year: y, month: mo - 1, day: d, hours: h, minutes: mi, seconds: s }, zone);
}

function addDays(w: WallTime, days: number): WallTime {
  const t = new Date(Date.UTC(w.year, w.month, w.day + days));
  return { ...w, year: t.getUTCFullYear(), month: t.getUTCMonth(), day: t.getUTCDate() };
}

function parseAbsolute(text: string, now: Date, zone: string | undefined): Date | null {
  const clock = parseClock(text);
  const monthDay = parseMonthDay(text);
  const weekday = parseWeekday(text);
  const tomorrow = /\btomorrow\b/i.test(text);
  if (!clock && !tomorrow && !monthDay && weekday === null) return null;
  const today = wallTimeOf(now, zone);
  const at = (w: WallTime) => wallTimeToInstant({ ...w, hours: clock?.hours ?? 0, minutes: clock?.minutes ?? 0, seconds: 0 }, zone);
  if (monthDay) {
    let when = at({ ...today, month: monthDay.month, day: monthDay.day });
    // A date that already passed this year means next year ("Jan 2" seen on Dec 30).
    if (when.getTime() <= now.getTime()) when = at({ ...today, year: today.year + 1, month: monthDay.month, day: monthDay.day });
    return when;
  }
  if (tomorrow) return at(addDays(today, 1));
  if (weekday !== null) {
    const ahead = (weekday - today.weekday + 7) % 7;
    const when = at(addDays(today, ahead));
    return when.getTime() > now.getTime() ? when : at(addDays(today, ahead + 7));
  }
  // A bare clock time is the next time the clock shows it.
  const when = at(today);
  return when.getTime() > now.getTime() ? when : at(addDays(today, 1));
}

/** The reset time stated in `text` as an ISO string, or null when it states none. */
export function parseResetTime(text: string, now: Date): string | null {
  const clean = withoutWindows(text.replace(/[\u2018\u2019\u02bc]/g, "'").replace(/[\u00a0\u202f\u2007]/g, ' '));
  const zone = parseZone(clean);
  const when = parseIso(clean, zone) ?? parseRelative(clean, now) ?? parseAbsolute(clean, now, zone);
  return when ? when.toISOString() : null;
}
