/**
 * Parses the reset time a rate-limit banner states ("until 2:56 PM", "in 3 hours",
 * "try again at 14:00", "tomorrow at 9:00 AM", "on June 5 at 3:00 PM") relative to `now`.
 * Pure: `now` is an argument. Clock times are read in the process's local time zone, which is also
 * the browser's (Chromium inherits TZ), so "2:56 PM" means what the page meant.
 */

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function unitKey(word: string): string | null {
  const w = word.toLowerCase();
  if (/^(s|secs?|seconds?)$/.test(w)) return 's';
  if (/^(m|mins?|minutes?)$/.test(w)) return 'm';
  if (/^(h|hrs?|hours?)$/.test(w)) return 'h';
  if (/^(d|days?)$/.test(w)) return 'd';
  return null;
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
  index: number;
}

/** "2:56 PM", "2 PM", "14:00", "2:56pm" — the first clock time in the text. */
function parseClock(text: string): ClockTime | null {
  const re = /\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\b\.?|\b(\d{1,2}):(\d{2})\b/gi;
  for (const m of text.matchAll(re)) {
    if (m[3]) {
      let h = Number(m[1]);
      const min = m[2] ? Number(m[2]) : 0;
      if (h < 1 || h > 12 || min > 59) continue;
      const pm = m[3].toLowerCase() === 'p';
      if (h === 12) h = 0;
      return { hours: pm ? h + 12 : h, minutes: min, index: m.index ?? 0 };
    }
    const h = Number(m[4]);
    const min = Number(m[5]);
    if (h > 23 || min > 59) continue;
    return { hours: h, minutes: min, index: m.index ?? 0 };
  }
  return null;
}

/** "June 5", "Jun 5th", "5 June" before the clock time, if any. */
function parseDate(text: string): { month: number; day: number } | null {
  const a = /\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b/gi;
  for (const m of text.matchAll(a)) {
    const month = MONTHS.indexOf((m[1] ?? '').slice(0, 3).toLowerCase());
    if (month >= 0) return { month, day: Number(m[2]) };
  }
  const b = /\b(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3,9})\b/gi;
  for (const m of text.matchAll(b)) {
    const month = MONTHS.indexOf((m[2] ?? '').slice(0, 3).toLowerCase());
    if (month >= 0) return { month, day: Number(m[1]) };
  }
  return null;
}

function parseAbsolute(text: string, now: Date): Date | null {
  const clock = parseClock(text);
  if (!clock) return null;
  const date = parseDate(text);
  const at = new Date(now.getTime());
  at.setSeconds(0, 0);
  if (date) {
    at.setMonth(date.month, date.day);
    at.setHours(clock.hours, clock.minutes, 0, 0);
    // A date that already passed this year means next year ("Jan 2" seen on Dec 30).
    if (at.getTime() <= now.getTime()) at.setFullYear(at.getFullYear() + 1);
    return at;
  }
  at.setHours(clock.hours, clock.minutes, 0, 0);
  if (/\btomorrow\b/i.test(text)) {
    at.setDate(at.getDate() + 1);
    return at;
  }
  // A bare clock time is the next time the clock shows it.
  if (at.getTime() <= now.getTime()) at.setDate(at.getDate() + 1);
  return at;
}

/** The reset time stated in `text` as an ISO string, or null when it states none. */
export function parseResetTime(text: string, now: Date): string | null {
  const relative = parseRelative(text, now);
  if (relative) return relative.toISOString();
  const absolute = parseAbsolute(text, now);
  return absolute ? absolute.toISOString() : null;
}
