import { allocate, heldBackend, isHarvest, onBackendBusy, type AllocateOptions, type BackendSlot } from './allocator.js';
import { Heap } from './heap.js';
import { displacedSinceLastStep, isRunnable } from './lifecycle.js';
import { computePriority, staticPriority, type PriorityOptions, type PrioritySystem } from './priority.js';
import { quotaView } from './quota.js';
import type { Task } from './types.js';
import { HOUR_MS } from './time.js';

export type { BackendSlot } from './allocator.js';

/**
 * The scheduler, pure and in memory (rebuilt from the tasks each tick, O(n log n) once).
 *
 * 1. Modules share LLM requests by weight with stride scheduling: each module has a virtual
 *    `pass`; the runnable module with the lowest pass goes first and `charge` advances it by
 *    stride = Σweights / weight. A module that was idle (nothing runnable) is lifted to the current
 *    pass on every charge, and a new module starts at the lowest pass of the runnable ones, so
 *    nobody banks credit by being away. A module that is runnable but blocked (its backend is
 *    busy or limited) keeps at most MAX_CREDIT_PICKS picks of credit.
 * 2. Within a module: overdue tasks (waited ≥ starvation.maxWaitHours) first, oldest first; then
 *    highest priority (base + backlog + seed + comment + aging). With preemption OFF a paused task
 *    in the middle of a conversation also goes before the others of its module, so a multi-step
 *    task runs to its end; with preemption ON it competes on priority after every step.
 * 3. No head-of-line blocking: tasks are grouped in classes that the allocator treats alike
 *    (same preference, deep flag, and backend they must wait for). A class whose best task the
 *    allocator refuses is skipped as a whole; the next class, then the next module, gets the pick.
 * 4. Lazy priorities: aging is linear until capped, so a task's order is fixed by
 *    K = static − boostPerHour·readyAt; capped tasks move once to a second heap. A pick touches
 *    only the tops of a few heaps, never re-scores every task.
 *
 * Wait bound (tested by property): with all backends serving picks, share s_m = w_m/Σw (floored
 * at MIN_SHARE) and M modules, a backlogged module gets a pick at least once every ⌈1/s_m⌉ + M
 * picks (plus MAX_CREDIT_PICKS·(M−1) after another module was blocked). A runnable task becomes
 * overdue after maxWaitHours and is then served after at most the Q tasks of its module that
 * became ready before it, so it waits at most maxWaitHours + (Q + 1)·(⌈1/s_m⌉ + M) picks.
 *
 * The clock may go backwards: running tasks are never in the queues (no double scheduling), a
 * task whose notBefore is again in the future is put back to wait, passes only grow.
 */

export interface SchedulerOptions extends PriorityOptions, AllocateOptions {
  weights: Record<string, number>;
  starvation: { maxWaitHours: number; boostPerHour: number; maxBoost: number };
  commentBoost: number;
  preemption: boolean;
  taskTypes: Record<string, { basePriority?: number | undefined; onBackendBusy: 'wait' | 'fresh' }>;
  deepReserves: Record<string, number>;
  /** Backlog counts for priority (per task type or module); deep quota comes from the slots. */
  system?: PrioritySystem;
}

export interface Pick {
  task: Task;
  backend: string;
  priority: number;
  deep: boolean;
  /** The task held a conversation elsewhere; it restarts on `backend` (onBackendBusy 'fresh'). */
  fresh?: boolean;
  /** The answer of a submitted prompt is read back; no new request is sent. */
  harvest?: boolean;
  /** Key of the paused conversation that last used `backend` and is displaced (log task.preempted). */
  preempted?: string;
  /** The task had waited past starvation.maxWaitHours. */
  overdue?: boolean;
}

export interface Blocked {
  task: string;
  module: string;
  reason: string;
}

export interface Scheduler {
  /** Never changes a task or a pass; null when nothing can run now. */
  pick(now: Date, backends: BackendSlot[]): Pick | null;
  /** The task changed (claimed/completed/paused/added). Must be called before the next pick. */
  update(task: Task): void;
  /** Stride passes to persist (meta.passes). */
  passes(): Record<string, number>;
  /** One LLM request was spent by module. */
  charge(module: string): void;
  /** Why the best task of each skipped class could not run, from the last pick (for logs). */
  blocked(): Blocked[];
}

/** A blocked but backlogged module keeps at most this many of its own picks as credit. */
export const MAX_CREDIT_PICKS = 3;
/** Weight floor as a share of the total, so a weight of 0 slows a module but never starves it. */
export const MIN_SHARE = 0.01;
/** Ordering bonus (not part of the reported priority) for tasks that should continue first. */
const CONTINUE_BONUS = 1e9;

interface Entry {
  key: string;
  ver: number;
  /** Heap score: K (uncapped), static + maxBoost (capped), capAt (toCap), notBefore (delayed). */
  a: number;
  /** readyAt in ms: the tie-break (older first) and the byReady order. */
  r: number;
}

interface Rec {
  task: Task;
  ver: number;
  /** Static priority including the continuation bonus. */
  stat: number;
  cls: TaskClass | null; // null while delayed or not runnable
}

const maxFirst = (x: Entry, y: Entry) => x.a > y.a || (x.a === y.a && (x.r < y.r || (x.r === y.r && x.key < y.key)));
const minFirst = (x: Entry, y: Entry) => x.a < y.a || (x.a === y.a && x.key < y.key);
const oldestFirst = (x: Entry, y: Entry) => x.r < y.r || (x.r === y.r && x.key < y.key);

interface Candidate {
  rec: Rec;
  overdue: boolean;
  score: number;
  r: number;
  backend: string;
  deep: boolean;
  fresh?: boolean;
  harvest?: boolean;
}

/** Overdue first (oldest first), then higher ordering score, then older, then key. */
function before(x: Candidate, y: Candidate): boolean {
  if (x.overdue !== y.overdue) return x.overdue;
  if (!x.overdue && x.score !== y.score) return x.score > y.score;
  if (x.r !== y.r) return x.r < y.r;
  return x.rec.task.key < y.rec.task.key;
}

class TaskClass {
  readonly uncapped = new Heap<Entry>(maxFirst);
  readonly toCap = new Heap<Entry>(minFirst);
  readonly capped = new Heap<Entry>(maxFirst);
  readonly byReady = new Heap<Entry>(oldestFirst);
  live = 0;
  constructor(readonly module: string) {}
}

export function createScheduler(tasks: Iterable<Task>, passes: Record<string, number>, opts: SchedulerOptions): Scheduler {
  const system = opts.system ?? {};
  const rate = opts.starvation.boostPerHour / HOUR_MS; // priority per ms
  const capMs = rate > 0 ? opts.starvation.maxBoost / rate : Infinity;
  const maxWaitMs = opts.starvation.maxWaitHours * HOUR_MS;
  const recs = new Map<string, Rec>();
  const modules = new Map<string, Map<string, TaskClass>>();
  const live = new Map<string, number>(); // module -> runnable (queued) tasks
  const delayed = new Heap<Entry>(minFirst);
  const pass = new Map<string, number>(Object.entries(passes));
  const lastOnBackend = new Map<string, { key: string; at: string }>();
  let lastBlocked: Blocked[] = [];
  let ver = 0;

  const weightValues = Object.values(opts.weights);
  const meanWeight = weightValues.length > 0 ? weightValues.reduce((s, w) => s + w, 0) / weightValues.length : 1;
  function stride(module: string): number {
    const names = new Set([...Object.keys(opts.weights), ...modules.keys()]);
    let total = 0;
    for (const n of names) total += opts.weights[n] ?? meanWeight;
    if (total <= 0) return 1;
    const share = Math.max(MIN_SHARE, (opts.weights[module] ?? meanWeight) / total);
    return 1 / share;
  }

  /** The lowest pass among modules with runnable work (other than `except`), or of all. */
  function floorPass(except?: string): number {
    let best = Infinity;
    for (const [m, n] of live) if (m !== except && n > 0 && pass.has(m)) best = Math.min(best, pass.get(m)!);
    if (best === Infinity) for (const [m, p] of pass) if (m !== except) best = Math.min(best, p);
    return best === Infinity ? 0 : best;
  }

  function classKey(task: Task): string {
    const held = heldBackend(task);
    const hold = held !== null && onBackendBusy(task, opts) === 'wait' ? held : '*';
    return `${task.llmPreference ?? '*'}|${task.deep ? 'deep' : 'normal'}|${hold}|${isHarvest(task) ? held : '-'}|${task.llmAvoid?.join(',') ?? ''}`;
  }

  function continues(task: Task): boolean {
    if (isHarvest(task)) return true; // an answer already paid for: read it first
    return !opts.preemption && task.state === 'paused' && heldBackend(task) !== null;
  }

  function remove(key: string): void {
    const rec = recs.get(key);
    if (!rec) return;
    if (rec.cls) {
      rec.cls.live -= 1;
      live.set(rec.cls.module, (live.get(rec.cls.module) ?? 1) - 1);
    }
    recs.delete(key);
  }

  function activate(rec: Rec): void {
    const t = rec.task;
    let classes = modules.get(t.module);
    if (!classes) modules.set(t.module, (classes = new Map<string, TaskClass>()));
    const ck = classKey(t);
    let cls = classes.get(ck);
    if (!cls) classes.set(ck, (cls = new TaskClass(t.module)));
    rec.ver = ++ver;
    rec.cls = cls;
    cls.live += 1;
    live.set(t.module, (live.get(t.module) ?? 0) + 1);
    const r = Date.parse(t.readyAt);
    cls.uncapped.push({ key: t.key, ver: rec.ver, a: rec.stat - rate * r, r });
    if (capMs !== Infinity) cls.toCap.push({ key: t.key, ver: rec.ver, a: r + capMs, r });
    cls.byReady.push({ key: t.key, ver: rec.ver, a: r, r });
  }

  function defer(rec: Rec): void {
    if (rec.cls) {
      rec.cls.live -= 1;
      live.set(rec.cls.module, (live.get(rec.cls.module) ?? 1) - 1);
      rec.cls = null;
    }
    rec.ver = ++ver;
    delayed.push({ key: rec.task.key, ver: rec.ver, a: Date.parse(rec.task.notBefore ?? rec.task.readyAt), r: 0 });
  }

  function update(task: Task, loading = false): void {
    remove(task.key);
    if (!loading && !pass.has(task.module) && (task.state === 'pending' || task.state === 'paused')) {
      pass.set(task.module, floorPass(task.module));
    }
    if (task.state === 'running' && task.conversation) {
      lastOnBackend.set(task.conversation.backend, { key: task.key, at: task.updatedAt });
    }
    if (task.state !== 'pending' && task.state !== 'paused') return;
    const rec: Rec = { task, ver: 0, stat: staticPriority(task, system, opts) + (continues(task) ? CONTINUE_BONUS : 0), cls: null };
    recs.set(task.key, rec);
    if (task.notBefore !== null) defer(rec);
    else activate(rec);
  }

  const isLive = (e: Entry, cls: TaskClass) => {
    const rec = recs.get(e.key);
    return rec !== undefined && rec.ver === e.ver && rec.cls === cls;
  };
  function top(h: Heap<Entry>, cls: TaskClass): Entry | undefined {
    let e = h.peek();
    while (e && !isLive(e, cls)) {
      h.pop();
      e = h.peek();
    }
    return e;
  }

  /** The best task of a class at `now` and whether it is overdue; lazily cleans and migrates. */
  function classBest(cls: TaskClass, nowMs: number): { rec: Rec; overdue: boolean } | null {
    for (let e = top(cls.toCap, cls); e && e.a <= nowMs; e = top(cls.toCap, cls)) {
      cls.toCap.pop();
      cls.capped.push({ key: e.key, ver: e.ver, a: recs.get(e.key)!.stat + opts.starvation.maxBoost, r: e.r });
    }
    const old = top(cls.byReady, cls);
    if (old && old.r + maxWaitMs <= nowMs) return { rec: recs.get(old.key)!, overdue: true };
    // Entries already migrated to `capped` are dropped from `uncapped` as they surface.
    let u = top(cls.uncapped, cls);
    while (u && u.r + capMs <= nowMs) {
      cls.uncapped.pop();
      u = top(cls.uncapped, cls);
    }
    const c = top(cls.capped, cls);
    const uScore = u ? u.a + rate * nowMs : -Infinity;
    const cScore = c ? c.a : -Infinity;
    const best = !u ? c : !c ? u : uScore > cScore || (uScore === cScore && u.r <= c.r) ? u : c;
    return best ? { rec: recs.get(best.key)!, overdue: false } : null;
  }

  function promote(nowMs: number): void {
    for (let e = delayed.peek(); e && e.a <= nowMs; e = delayed.peek()) {
      delayed.pop();
      const rec = recs.get(e.key);
      if (rec && rec.ver === e.ver && rec.cls === null) activate(rec);
    }
  }

  // Load everything first, THEN place modules that have no pass yet at the lowest pass of the
  // runnable ones (a late joiner banks no credit); placing them during the load would depend on
  // the order of the tasks.
  const seen = new Set<string>();
  for (const t of tasks) {
    update(t, true);
    if (recs.has(t.key)) seen.add(t.module);
  }
  for (const m of [...seen].sort()) if (!pass.has(m)) pass.set(m, floorPass(m));
  // Preemption bookkeeping after a restart: the paused conversation most recently active per backend.
  for (const rec of recs.values()) {
    const b = heldBackend(rec.task);
    const prev = b !== null ? lastOnBackend.get(b) : undefined;
    if (b !== null && (!prev || prev.at < rec.task.updatedAt)) lastOnBackend.set(b, { key: rec.task.key, at: rec.task.updatedAt });
  }
  // ...unless it was already displaced since its last step (its preemption is durable): the task
  // that displaced it has since finished, and naming it again in a later tick would count one
  // preemption once per tick. Within a tick the claim of the displacing task does this (update).
  // (A running task has no rec: it holds its backend and cannot have been displaced.)
  for (const [b, last] of lastOnBackend) {
    const rec = recs.get(last.key);
    if (rec && displacedSinceLastStep(rec.task)) lastOnBackend.delete(b);
  }

  function pick(now: Date, slots: BackendSlot[]): Pick | null {
    const nowMs = now.getTime();
    promote(nowMs);
    // Each backend's quota view once per pick (it parses every timestamp of the sliding hour), not
    // once per candidate task in allocate. Recomputed here even when given: it must be for `now`.
    const backends = slots.map((b) => ({ ...b, view: quotaView(b.state, now, b.quota) }));
    const deepRemaining: Record<string, number> = {};
    for (const b of backends) deepRemaining[b.name] = b.view.deepRemaining;
    const sys: PrioritySystem = { ...system, deepRemaining };
    const order = [...live].filter(([, n]) => n > 0).map(([m]) => m);
    order.sort((x, y) => (pass.get(x) ?? 0) - (pass.get(y) ?? 0) || (x < y ? -1 : x > y ? 1 : 0));
    const blocked: Blocked[] = [];
    for (const module of order) {
      let chosen: Candidate | null = null;
      for (const cls of modules.get(module)?.values() ?? []) {
        if (cls.live === 0) continue;
        let best = classBest(cls, nowMs);
        // The clock went backwards past a backoff: that task waits again (and never runs early).
        while (best && !isRunnable(best.rec.task, now)) {
          defer(best.rec);
          best = cls.live > 0 ? classBest(cls, nowMs) : null;
        }
        if (!best) continue;
        const alloc = allocate(best.rec.task, backends, now, opts);
        if (alloc.backend === null) {
          blocked.push({ task: best.rec.task.key, module, reason: alloc.reason });
          continue;
        }
        const r = Date.parse(best.rec.task.readyAt);
        const score = best.rec.stat + Math.min(opts.starvation.maxBoost, Math.max(0, rate * (nowMs - r)));
        const cand = { rec: best.rec, overdue: best.overdue, score, r, ...alloc };
        if (!chosen || before(cand, chosen)) chosen = cand;
      }
      if (!chosen) continue;
      lastBlocked = blocked;
      const task = chosen.rec.task;
      const out: Pick = { task, backend: chosen.backend, priority: computePriority(task, sys, now, opts), deep: chosen.deep };
      if (chosen.fresh) out.fresh = true;
      if (chosen.harvest) out.harvest = true;
      if (chosen.overdue) out.overdue = true;
      const prev = lastOnBackend.get(chosen.backend);
      const prevRec = prev && prev.key !== task.key ? recs.get(prev.key) : undefined;
      if (prevRec && prevRec.cls !== null && heldBackend(prevRec.task) === chosen.backend) out.preempted = prevRec.task.key;
      return out;
    }
    lastBlocked = blocked;
    return null;
  }

  function charge(module: string): void {
    if (!pass.has(module)) pass.set(module, floorPass(module));
    const p0 = pass.get(module)!;
    pass.set(module, p0 + stride(module));
    // Ordering invariant: clamp AFTER charging, against the pass the charged module had, which is
    // the scheduler's current virtual time. Idle modules come along; blocked ones keep bounded credit.
    for (const [m, p] of pass) {
      if (m === module) continue;
      const floor = (live.get(m) ?? 0) > 0 ? p0 - MAX_CREDIT_PICKS * stride(m) : p0;
      if (p < floor) pass.set(m, floor);
    }
  }

  return {
    pick,
    update: (task) => update(task),
    charge,
    passes: () => Object.fromEntries([...pass].sort(([a], [b]) => (a < b ? -1 : 1))),
    blocked: () => lastBlocked,
  };
}
