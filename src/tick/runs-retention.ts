import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DAY_MS } from '../core/time.js';
import { BUNDLES_DIR } from './runs-bundles.js';
import { IDLE_LOG_RE, TICK_ID_RE, runsDir } from './runs.js';

/**
 * Retention of runs/ (config `runs.keepDays`, `runs.maxMB`; README, Bounded disk). What it may
 * remove comes in units, each removed whole, oldest first:
 *   tick    a working tick's log `<tickId>.jsonl` with its bundle folder `<tickId>/`
 *   idle    one day's idle log `idle-YYYY-MM-DD.jsonl`
 *   bundle  one kept failure bundle `bundles/<hash>/` (runs-bundles.ts), dated by its last sighting
 * A unit older than keepDays goes; then, while runs/ is above maxMB, the oldest goes. Never removed:
 * anything named in `keep` or touched since `keepSince` (the running tick's files), the newest
 * other tick's log and folder and the newest other idle log, and every file that is not such a unit
 * (last-tick.json, the idle hint, the resident browser's files, the mock's memory). So runs/ can
 * stay above maxMB by what those hold.
 */
export interface RetentionOptions {
  keepDays: number;
  maxBytes: number;
  now: Date;
  /** Unit names never removed (the running tick's id, the idle log it writes). */
  keep?: readonly string[];
  /** Units touched at or after this time are never removed (the running tick's bundles). */
  keepSince?: Date;
}

export interface RetentionResult {
  /** Unit names removed (`<tickId>`, `idle-….jsonl`, `bundles/<hash>`), oldest first. */
  removed: string[];
  freedBytes: number;
  /** Bytes of every file under runs/ after pruning. */
  totalBytes: number;
}

interface Unit {
  name: string;
  paths: string[];
  bytes: number;
  /** Newest modification among its files (ms). */
  time: number;
  kind: 'tick' | 'idle' | 'bundle';
}

/** Bytes and newest file mtime of a file or folder tree (symlinks counted as themselves, never followed). */
function measure(path: string): { bytes: number; time: number } {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return { bytes: 0, time: 0 };
  }
  if (!st.isDirectory()) return { bytes: st.size, time: st.mtimeMs };
  // A folder is as old as its newest file (its own mtime moves when an entry is removed).
  let bytes = 0;
  let time = 0;
  for (const name of safeList(path)) {
    const m = measure(join(path, name));
    bytes += m.bytes;
    time = Math.max(time, m.time);
  }
  return { bytes, time: time === 0 ? st.mtimeMs : time };
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The removable units of runs/ and the bytes of everything else there. */
export function runsUnits(home: string): { units: Unit[]; otherBytes: number } {
  const dir = runsDir(home);
  const ticks = new Map<string, Unit>();
  const units: Unit[] = [];
  let otherBytes = 0;
  for (const name of safeList(dir)) {
    const path = join(dir, name);
    const m = measure(path);
    const id = name.endsWith('.jsonl') ? name.slice(0, -'.jsonl'.length) : name;
    if (TICK_ID_RE.test(id)) {
      const u = ticks.get(id) ?? { name: id, paths: [], bytes: 0, time: 0, kind: 'tick' as const };
      u.paths.push(path);
      u.bytes += m.bytes;
      u.time = Math.max(u.time, m.time);
      ticks.set(id, u);
    } else if (IDLE_LOG_RE.test(name)) {
      units.push({ name, paths: [path], bytes: m.bytes, time: m.time, kind: 'idle' });
    } else if (name === BUNDLES_DIR) {
      for (const hash of safeList(path)) {
        const b = measure(join(path, hash));
        units.push({ name: `${BUNDLES_DIR}/${hash}`, paths: [join(path, hash)], bytes: b.bytes, time: b.time, kind: 'bundle' });
      }
    } else otherBytes += m.bytes;
  }
  units.push(...ticks.values());
  return { units, otherBytes };
}

export function pruneRuns(home: string, opts: RetentionOptions): RetentionResult {
  const { units, otherBytes } = runsUnits(home);
  const keep = new Set(opts.keep ?? []);
  // The newest besides the running tick's own: the last working tick's log stays for a person to read.
  const newest = (kind: Unit['kind']) =>
    units.filter((u) => u.kind === kind && !keep.has(u.name)).reduce<string | null>((a, u) => (a === null || u.name > a ? u.name : a), null);
  for (const kind of ['tick', 'idle'] as const) {
    const n = newest(kind);
    if (n !== null) keep.add(n);
  }
  const since = opts.keepSince?.getTime() ?? Number.POSITIVE_INFINITY;
  const removable = units.filter((u) => !keep.has(u.name) && u.time < since).sort((a, b) => a.time - b.time || a.name.localeCompare(b.name));
  let total = otherBytes + units.reduce((s, u) => s + u.bytes, 0);
  const cutoff = opts.now.getTime() - opts.keepDays * DAY_MS;
  const removed: string[] = [];
  let freed = 0;
  for (const u of removable) {
    if (u.time >= cutoff && total <= opts.maxBytes) break; // oldest first: every later unit is newer
    for (const p of u.paths) rmSync(p, { recursive: true, force: true });
    removed.push(u.name);
    freed += u.bytes;
    total -= u.bytes;
  }
  return { removed, freedBytes: freed, totalBytes: total };
}
