/**
 * Wall-clock times in a named time zone (or the process's local zone when none is given), with
 * nothing but Intl. Pure. Used by the reset-time parser: "resets 2:30pm (Asia/Calcutta)".
 */

export interface WallTime {
  year: number;
  /** 0-based, like Date. */
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  /** 0 = Sunday (only read from wallTimeOf). */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string | undefined): Intl.DateTimeFormat {
  const key = zone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(key, f);
  }
  return f;
}

export function validTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

const WEEKDAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** What a clock in `zone` shows at `instant`. */
export function wallTimeOf(instant: Date, zone: string | undefined): WallTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(instant)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month) - 1,
    day: Number(parts.day),
    hours: Number(parts.hour),
    minutes: Number(parts.minute),
    seconds: Number(parts.second),
    weekday: WEEKDAY_INDEX[parts.weekday ?? 'Sun'] ?? 0,
  };
}

/** The zone's offset from UTC at `instant`, in ms (positive east of Greenwich). */
function offsetMs(instant: Date, zone: string | undefined): number {
  const w = wallTimeOf(instant, zone);
  return Date.UTC(w.year, w.month, w.day, w.hours, w.minutes, w.seconds) - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant at which a clock in `zone` shows `w` (day overflow is normalised: day 32 is the
 * next month). In a spring-forward gap the later reading wins, in a fall-back fold the first.
 */
export function wallTimeToInstant(w: Omit<WallTime, 'weekday'> & { weekday?: number }, zone: string | undefined): Date {
  const asUtc = Date.UTC(w.year, w.month, w.day, w.hours, w.minutes, w.seconds);
  // Two rounds settle every real zone: the offset at the guess, then at the corrected guess.
  let guess = asUtc - offsetMs(new Date(asUtc), zone);
  guess = asUtc - offsetMs(new Date(guess), zone);
  return new Date(guess);
}
