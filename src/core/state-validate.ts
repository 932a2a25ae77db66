import { TASK_STATES } from './types.js';
import type { FanoState } from './types.js';

/**
 * Hand-written shape checks for the durable state and for log events. zod would take ~100 ms for
 * 10,000 tasks; these take a few ms, so load can validate the whole checkpoint every time and
 * replay can check every event. Each check returns the first problem as `path: message`, or null.
 *
 * Lenient on purpose about *extra* keys (an older fano reading a newer checkpoint should not call
 * it corrupt), strict about the fields the scheduler and the store rely on: identities, enums and
 * ISO-8601 UTC times (kept as strings, never revived as Date, so a checkpoint round-trips exactly).
 */

const ISO_UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const TASK_STATE_SET: ReadonlySet<string> = new Set(TASK_STATES);

type Obj = Record<string, unknown>;

export function isIsoUtc(v: unknown): v is string {
  return typeof v === 'string' && ISO_UTC_RE.test(v);
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
function isNat(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
function isNum(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

const q = (k: string): string => JSON.stringify(k);

function checkIso(o: Obj, k: string, path: string, nullable: boolean): string | null {
  const v = o[k];
  if (nullable && v === null) return null;
  return isIsoUtc(v) ? null : `${path}.${k}: expected an ISO-8601 UTC time${nullable ? ' or null' : ''}, got ${JSON.stringify(v)}`;
}
function checkStr(o: Obj, k: string, path: string, nullable = false): string | null {
  const v = o[k];
  if (typeof v === 'string' || (nullable && v === null)) return null;
  return `${path}.${k}: expected a string${nullable ? ' or null' : ''}`;
}

/** Optional (absent in checkpoints written before preemptions were recorded). */
function checkPreemptions(v: unknown, path: string): string | null {
  if (v === undefined) return null;
  if (!Array.isArray(v)) return `${path}: expected a list`;
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    if (!isObj(e)) return `${path}[${i}]: expected an object`;
    const r = checkIso(e, 'at', `${path}[${i}]`, false) ?? checkStr(e, 'by', `${path}[${i}]`);
    if (r) return r;
  }
  return null;
}

export function validateTask(t: unknown, path: string): string | null {
  if (!isObj(t)) return `${path}: expected an object`;
  if (typeof t.key !== 'string' || t.key === '') return `${path}.key: expected a non-empty string`;
  const p =
    checkStr(t, 'module', path) ??
    checkStr(t, 'type', path) ??
    (TASK_STATE_SET.has(t.state as string) ? null : `${path}.state: ${JSON.stringify(t.state)} is not one of ${TASK_STATES.join(', ')}`) ??
    (isObj(t.context) ? null : `${path}.context: expected an object`) ??
    (isObj(t.data) ? null : `${path}.data: expected an object`) ??
    (isNum(t.priority) ? null : `${path}.priority: expected a number`) ??
    (typeof t.deep === 'boolean' ? null : `${path}.deep: expected a boolean`) ??
    checkStr(t, 'llmPreference', path, true) ??
    (t.llmAvoid === undefined || (Array.isArray(t.llmAvoid) && t.llmAvoid.every((b) => typeof b === 'string'))
      ? null
      : `${path}.llmAvoid: expected a list of backend names`) ??
    (isNat(t.attempts) ? null : `${path}.attempts: expected a non-negative integer`) ??
    (isNat(t.llmRequests) ? null : `${path}.llmRequests: expected a non-negative integer`) ??
    checkIso(t, 'createdAt', path, false) ??
    checkIso(t, 'updatedAt', path, false) ??
    checkIso(t, 'readyAt', path, false) ??
    checkIso(t, 'notBefore', path, true) ??
    checkIso(t, 'finishedAt', path, true) ??
    (t.result === undefined ? `${path}.result: missing (use null)` : null) ??
    checkPreemptions(t.preemptions, `${path}.preemptions`) ??
    (t.runMs === undefined || isNat(t.runMs) ? null : `${path}.runMs: expected a non-negative integer`);
  if (p) return p;
  const e = t.lastError;
  if (e !== null) {
    const ep = `${path}.lastError`;
    if (!isObj(e)) return `${ep}: expected an object or null`;
    const r = checkStr(e, 'kind', ep) ?? checkStr(e, 'message', ep) ?? checkIso(e, 'at', ep, false) ?? checkStr(e, 'bundle', ep, true);
    if (r) return r;
  }
  const c = t.conversation;
  if (c !== null) {
    const cp = `${path}.conversation`;
    if (!isObj(c)) return `${cp}: expected an object or null`;
    const r = checkStr(c, 'backend', cp) ?? checkStr(c, 'url', cp, true) ?? (isNat(c.turn) ? null : `${cp}.turn: expected a non-negative integer`);
    if (r) return r;
    const s = c.submitted;
    if (s !== null) {
      const sp = `${cp}.submitted`;
      if (!isObj(s)) return `${sp}: expected an object or null`;
      const r2 =
        checkStr(s, 'requestId', sp) ??
        checkIso(s, 'at', sp, false) ??
        (typeof s.deep === 'boolean' ? null : `${sp}.deep: expected a boolean`) ??
        checkStr(s, 'promptHash', sp);
      if (r2) return r2;
    }
  }
  return null;
}

/** An optional `name -> non-negative integer` map (or null). */
function natMap(o: Record<string, unknown>, key: string, path: string): string | null {
  const m = o[key];
  if (m === undefined || m === null) return null;
  if (!isObj(m) || !Object.values(m).every(isNat)) return `${path}.${key}: expected an object of name -> non-negative integer, or null`;
  return null;
}

export function validateBackendState(b: unknown, path: string): string | null {
  if (!isObj(b)) return `${path}: expected an object`;
  if (!Array.isArray(b.recent) || !b.recent.every(isIsoUtc)) return `${path}.recent: expected a list of ISO-8601 UTC times`;
  if (!Array.isArray(b.rateLimitHits) || !b.rateLimitHits.every(isIsoUtc)) return `${path}.rateLimitHits: expected a list of ISO-8601 UTC times`;
  const p =
    checkStr(b, 'deepDay', path, true) ??
    (isNat(b.deepUsed) ? null : `${path}.deepUsed: expected a non-negative integer`) ??
    (b.effectiveHourly === null || isNum(b.effectiveHourly) ? null : `${path}.effectiveHourly: expected a number or null`) ??
    checkIso(b, 'rateLimitedUntil', path, true) ??
    checkIso(b, 'cleanSince', path, true) ??
    (isNat(b.totalRequests) ? null : `${path}.totalRequests: expected a non-negative integer`) ??
    (b.learnedCap === undefined || b.learnedCap === null || isNum(b.learnedCap) ? null : `${path}.learnedCap: expected a number or null`) ??
    (b.unreachableUntil === undefined ? null : checkIso(b, 'unreachableUntil', path, true)) ??
    (b.unreachableStreak === undefined || b.unreachableStreak === null || isNat(b.unreachableStreak)
      ? null
      : `${path}.unreachableStreak: expected a non-negative integer or null`) ??
    natMap(b, 'requestsByModule', path) ??
    natMap(b, 'requestsByHour', path) ??
    natMap(b, 'deepByModule', path);
  if (p) return p;
  const h = b.needsHuman;
  if (h !== null) {
    const hp = `${path}.needsHuman`;
    if (!isObj(h)) return `${hp}: expected an object or null`;
    return checkStr(h, 'reason', hp) ?? checkIso(h, 'since', hp, false) ?? checkStr(h, 'bundle', hp, true);
  }
  return null;
}

/** Meta keys are checked when present: Meta grows over time and older checkpoints lack new keys. */
export function validateMetaValue(key: string, v: unknown, path: string): string | null {
  switch (key) {
    case 'paused':
      return typeof v === 'boolean' ? null : `${path}: expected a boolean`;
    case 'passes':
      if (!isObj(v)) return `${path}: expected an object of numbers`;
      for (const [m, n] of Object.entries(v)) if (!isNum(n)) return `${path}.${m}: expected a number`;
      return null;
    case 'problemsNoted':
      return Array.isArray(v) && v.every((x) => typeof x === 'string') ? null : `${path}: expected a list of strings`;
    case 'weights': {
      if (v === null) return null;
      if (!isObj(v)) return `${path}: expected an object or null`;
      if (!isObj(v.values) || !Object.values(v.values).every(isNum)) return `${path}.values: expected an object of numbers`;
      if (v.source !== 'config' && v.source !== 'consultation') return `${path}.source: expected "config" or "consultation"`;
      return checkStr(v, 'reasoning', path, true) ?? checkIso(v, 'at', path, true);
    }
    default:
      return v === undefined ? `${path}: missing value` : null;
  }
}

export function validateState(s: unknown, path = 'state'): string | null {
  if (!isObj(s)) return `${path}: expected an object`;
  if (s.schema !== 1) return `${path}.schema: expected 1, got ${JSON.stringify(s.schema)}`;
  if (!isObj(s.tasks)) return `${path}.tasks: expected an object`;
  // Paths are built only on failure (with an empty prefix, then prefixed): building a path
  // string per task would cost more than checking the task.
  for (const k in s.tasks) {
    const t = s.tasks[k];
    const r = validateTask(t, '');
    if (r) return `${path}.tasks[${q(k)}]${r}`;
    // The map key is the task's identity: a mismatch would let two active tasks share a key.
    if ((t as Obj).key !== k) return `${path}.tasks[${q(k)}].key: ${q((t as Obj).key as string)} differs from its map key`;
  }
  if (!isObj(s.backends)) return `${path}.backends: expected an object`;
  for (const k in s.backends) {
    const r = validateBackendState(s.backends[k], '');
    if (r) return `${path}.backends[${q(k)}]${r}`;
  }
  if (!isObj(s.modules)) return `${path}.modules: expected an object`;
  for (const m in s.modules) {
    const mod = s.modules[m];
    if (!isObj(mod)) return `${path}.modules[${q(m)}]: expected an object of collections`;
    for (const c in mod) if (!isObj(mod[c])) return `${path}.modules[${q(m)}][${q(c)}]: expected an object of documents`;
  }
  if (!isObj(s.meta)) return `${path}.meta: expected an object`;
  for (const k in s.meta) {
    const r = validateMetaValue(k, s.meta[k], `${path}.meta.${k}`);
    if (r) return r;
  }
  return null;
}

export function validateEvent(ev: unknown, path: string): string | null {
  if (!isObj(ev)) return `${path}: expected an object`;
  switch (ev.type) {
    case 'task.put':
      return validateTask(ev.task, `${path}.task`);
    case 'task.drop':
      return Array.isArray(ev.keys) && ev.keys.every((k) => typeof k === 'string') ? null : `${path}.keys: expected a list of strings`;
    case 'backend.put':
      return checkStr(ev, 'name', path) ?? validateBackendState(ev.backend, `${path}.backend`);
    case 'module.put':
      return (
        checkStr(ev, 'module', path) ?? checkStr(ev, 'collection', path) ?? checkStr(ev, 'id', path) ?? (ev.doc === undefined ? `${path}.doc: missing` : null)
      );
    case 'module.del':
      return checkStr(ev, 'module', path) ?? checkStr(ev, 'collection', path) ?? checkStr(ev, 'id', path);
    case 'meta.put':
      return checkStr(ev, 'key', path) ?? validateMetaValue(ev.key as string, ev.value, `${path}.value`);
    default:
      return `${path}.type: unknown event type ${JSON.stringify(ev.type)}`;
  }
}

export function validateEvents(events: unknown, path = 'events'): string | null {
  if (!Array.isArray(events)) return `${path}: expected a list`;
  for (let i = 0; i < events.length; i++) {
    const r = validateEvent(events[i], `${path}[${i}]`);
    if (r) return r;
  }
  return null;
}

/** Narrowing helper for callers that already ran validateState. */
export function assertValidState(s: unknown): asserts s is FanoState {
  const r = validateState(s);
  if (r) throw new Error(r);
}
