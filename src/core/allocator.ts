import { deepUsedByModule, quotaView, type QuotaOptions, type QuotaView } from './quota.js';
import type { BackendState, Task } from './types.js';

/**
 * The allocator is THE gate: the scheduler never decides on its own whether a task can run (one
 * place decides, so the two can never disagree), it asks here, and here answers "this backend, deep or not" or "nobody, because …".
 * Pure: the backends' state and `now` come in as data.
 *
 * Rules, in order:
 *  1. A backend with a request in flight (`busy`) is never used: one request per backend. The
 *     tick keeps one in flight on EVERY backend at once (a per-backend lock, never a global one).
 *  2. Rate-limited, needs-human and unreachable (site did not load) backends are skipped; so is one with no hourly quota left
 *     (effective estimate), and for a deep task one with no deep quota left after the deep
 *     reserves of OTHER modules (quotas.deepReserves) are held back.
 *  3. A preferred backend — the task's `llmPreference`, else the backend holding its conversation —
 *     is a preference, not a requirement. Usable: it gets the task. Unusable: the task type's
 *     `onBackendBusy` decides. 'wait' waits while the backend will serve soon (busy with one
 *     request; rate-limited, or out of hourly quota, for at most `maxPinWaitMs`); a backend that
 *     needs a person, did not load, is out of deep quota for a deep task, is limited for longer
 *     or is not configured (disabled) loses the task to another. 'fresh' never waits. A task
 *     that moves starts a fresh conversation (`fresh: true`); the module's prompt carries what
 *     the thread needs.
 *  4. Backends in the task's `llmAvoid` (a review's author, the vendor a critique answers) are
 *     never chosen while any other backend is configured: that work waits instead.
 *  5. Otherwise the usable backend with most remaining hourly quota (ties: most deep quota, name).
 *  A harvest (a submitted prompt whose answer sits at the conversation url) goes to its backend
 *  whenever that is neither busy nor needs a human: reading the answer costs no quota.
 */

export interface BackendSlot {
  name: string;
  quota: QuotaOptions;
  state: BackendState;
  busy: boolean;
  /**
   * quotaView(state, now, quota) for the `now` of this call, when the caller already computed it
   * (the scheduler does, once per pick, instead of once per slot per candidate task). Must be for
   * the same `now`; absent, it is computed here.
   */
  view?: QuotaView;
}

/** The slot's quota view at `now` (its precomputed one when present). */
export function viewOf(slot: BackendSlot, now: Date): QuotaView {
  return slot.view ?? quotaView(slot.state, now, slot.quota);
}

export interface AllocateOptions {
  taskTypes: Record<string, { onBackendBusy?: 'wait' | 'fresh' | undefined }>;
  /** Deep uses per day held back for each module, per backend. */
  deepReserves: Record<string, number>;
  /** Longest a task waits for its preferred backend to come back (scheduler.maxPinWaitMinutes). */
  maxPinWaitMs?: number;
}

/** The default of scheduler.maxPinWaitMinutes, in ms. */
export const DEFAULT_MAX_PIN_WAIT_MS = 15 * 60_000;

export type Allocation = { backend: string; deep: boolean; fresh?: boolean; harvest?: boolean } | { backend: null; reason: string };

/** The backend whose conversation a task should continue, or null when there is nothing to keep. */
export function heldBackend(task: Task): string | null {
  const c = task.conversation;
  if (!c) return null;
  return c.url !== null || c.turn > 0 || c.submitted !== null ? c.backend : null;
}

/** A submitted prompt whose answer can be read back at the conversation url (crash recovery). */
export function isHarvest(task: Task): boolean {
  const c = task.conversation;
  return c !== null && c.submitted !== null && c.url !== null;
}

export function onBackendBusy(task: Task, opts: AllocateOptions): 'wait' | 'fresh' {
  return opts.taskTypes[task.type]?.onBackendBusy ?? 'wait';
}

/** Deep uses still open to `module` on this backend once other modules' unused reserves are held. */
export function deepAvailableFor(module: string, slot: BackendSlot, view: QuotaView, now: Date, opts: AllocateOptions): number {
  let heldForOthers = 0;
  for (const [m, reserve] of Object.entries(opts.deepReserves)) {
    if (m === module) continue;
    heldForOthers += Math.max(0, reserve - deepUsedByModule(slot.state, m, now, slot.quota));
  }
  return Math.max(0, view.deepRemaining - heldForOthers);
}

/** Why `slot` cannot take `task` now, or null when it can. */
export function unusableReason(task: Task, slot: BackendSlot, now: Date, opts: AllocateOptions): string | null {
  if (slot.busy) return `${slot.name} is busy`;
  const view = viewOf(slot, now);
  if (view.status === 'needsHuman') return `${slot.name} needs a human (${slot.state.needsHuman?.reason ?? '?'})`;
  if (view.status === 'rateLimited') return `${slot.name} is rate-limited until ${view.rateLimitedUntil}`;
  if (view.status === 'unreachable') return `${slot.name} did not load; skipped until ${view.unreachableUntil}`;
  if (view.remaining < 1) return `${slot.name} has no hourly quota left (${view.requestsThisHour}/${view.effectiveHourly})`;
  if (task.deep && deepAvailableFor(task.module, slot, view, now, opts) < 1) {
    return `${slot.name} has no deep quota left for ${task.module} (${view.deepUsedToday}/${view.deepDailyLimit}, reserves held)`;
  }
  return null;
}

function better(a: BackendSlot, b: BackendSlot, now: Date): boolean {
  const va = viewOf(a, now);
  const vb = viewOf(b, now);
  if (va.remaining !== vb.remaining) return va.remaining > vb.remaining;
  if (va.deepRemaining !== vb.deepRemaining) return va.deepRemaining > vb.deepRemaining;
  return a.name < b.name;
}

/**
 * Whether a task waits for its preferred backend (`slot`, unusable for `why`) or moves: waiting
 * only pays when the backend serves again soon.
 */
function waitsFor(task: Task, slot: BackendSlot | undefined, now: Date, opts: AllocateOptions): boolean {
  if (!slot || onBackendBusy(task, opts) === 'fresh') return false;
  if (slot.busy) return true;
  const view = viewOf(slot, now);
  const soon = (at: string | null): boolean => at !== null && Date.parse(at) - now.getTime() <= (opts.maxPinWaitMs ?? DEFAULT_MAX_PIN_WAIT_MS);
  if (view.status === 'rateLimited') return soon(view.rateLimitedUntil);
  if (view.status === 'exhausted' || (view.status === 'available' && view.remaining < 1)) return soon(view.nextFreeAt);
  // needs a person, did not load, no deep quota left today: not soon.
  return false;
}

export function allocate(task: Task, backends: readonly BackendSlot[], now: Date, opts: AllocateOptions): Allocation {
  const byName = new Map(backends.map((b) => [b.name, b]));
  const held = heldBackend(task);

  if (isHarvest(task) && held !== null && (task.llmPreference === null || task.llmPreference === held)) {
    const slot = byName.get(held);
    if (slot && !slot.busy && slot.state.needsHuman === null) {
      return { backend: held, deep: task.conversation?.submitted?.deep ?? false, harvest: true };
    }
    // Falls through: a harvest that cannot happen is treated like any held conversation.
  }

  const avoid = task.llmAvoid ?? [];
  // An avoided backend serves only a home where no other backend exists at all.
  const strict = avoid.length > 0 && backends.some((b) => !avoid.includes(b.name));
  const wanted = task.llmPreference ?? held;
  const preferred = wanted !== null && strict && avoid.includes(wanted) ? null : wanted;
  const prefSlot = preferred !== null ? byName.get(preferred) : undefined;
  if (preferred !== null) {
    const why = prefSlot ? unusableReason(task, prefSlot, now, opts) : `${preferred} is not configured`;
    if (why === null) return { backend: preferred, deep: task.deep, ...(held !== null && held !== preferred ? { fresh: true } : {}) };
    if (waitsFor(task, prefSlot, now, opts)) return { backend: null, reason: preferred === held ? `waiting for its conversation: ${why}` : why };
  }

  let best: BackendSlot | null = null;
  const reasons: string[] = preferred !== null && !prefSlot ? [`${preferred} is not configured`] : [];
  for (const slot of backends) {
    if (slot === prefSlot && preferred !== null) {
      reasons.push(unusableReason(task, slot, now, opts) ?? '');
      continue;
    }
    if (strict && avoid.includes(slot.name)) continue;
    const why = unusableReason(task, slot, now, opts);
    if (why !== null) {
      reasons.push(why);
      continue;
    }
    if (best === null || better(slot, best, now)) best = slot;
  }
  if (best === null) return { backend: null, reason: reasons.length > 0 ? reasons.filter((r) => r !== '').join('; ') : 'no backend configured' };
  // A held conversation on an unusable or removed backend restarts on the chosen one.
  return { backend: best.name, deep: task.deep, ...(held !== null ? { fresh: true } : {}) };
}
