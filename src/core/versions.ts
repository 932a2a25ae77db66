/**
 * Change counters of the state's containers, kept beside the state (never in it: nothing here is
 * logged or checkpointed). The reducer mutates the state in place, so a derived view (an insight's
 * status from its reviews, a module's busy units) cannot tell from object identity whether its
 * inputs changed; the reducer counts every change of a collection, the task table and the
 * backend table here, and a reader memoises a view on (container, count).
 *
 * A container the reducer never changed has no count (`undefined`): a state built or edited by
 * hand, or freshly parsed from a checkpoint, is never served from a memo until the reducer has
 * touched it. Counts live in a WeakMap keyed by the container object, so a container that leaves
 * the state (a collection emptied and deleted) takes its count with it.
 */

import { ACTIVE_STATES, type FanoState, type Task } from './types.js';

const counts = new WeakMap<object, number>();

/** Called by the reducer for every change of `container` (core/reducer.ts only). */
export function touch(container: object): void {
  counts.set(container, (counts.get(container) ?? 0) + 1);
}

/** How often the reducer changed `container`; undefined when it never did (do not memoise then). */
export function versionOf(container: object): number | undefined {
  return counts.get(container);
}

/**
 * A stamp of several containers: their identities and counts. `sameStamp` is true only when every
 * container is the same object with the same count, and all of them are counted (or frozen empties).
 */
export type Stamp = ReadonlyArray<readonly [object, number]>;

export function stampOf(containers: readonly object[]): Stamp | null {
  const out: Array<readonly [object, number]> = [];
  for (const c of containers) {
    const v = Object.isFrozen(c) ? 0 : counts.get(c);
    if (v === undefined) return null;
    out.push([c, v]);
  }
  return out;
}

export function sameStamp(a: Stamp | null, b: Stamp | null): boolean {
  if (a === null || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]![0] !== b[i]![0] || a[i]![1] !== b[i]![1]) return false;
  return true;
}

/**
 * The unfinished tasks (pending, running, paused) of a task table, kept up to date by the reducer
 * as it applies each task change, so that the discoveries, which run after every answer, look at
 * the few tasks in flight instead of scanning every task of the last days. Valid while its count
 * equals the table's; rebuilt by one scan otherwise.
 */
interface ActiveIndex {
  version: number;
  byKey: Map<string, Task>;
}

const activeIndexes = new WeakMap<object, ActiveIndex>();

/** Called by the reducer for every task put or drop (core/reducer.ts only): counts the change and keeps the index. */
export function taskChanged(tasks: Record<string, Task>, key: string, task: Task | undefined): void {
  const before = counts.get(tasks);
  touch(tasks);
  const idx = activeIndexes.get(tasks);
  if (idx === undefined || before === undefined || idx.version !== before) return;
  if (task !== undefined && ACTIVE_STATES.has(task.state)) idx.byKey.set(key, task);
  else idx.byKey.delete(key);
  idx.version = before + 1;
}

/** The state's unfinished tasks (in no promised order). A fresh array: the caller may keep it. */
export function activeTasks(state: Readonly<FanoState>): Task[] {
  const tasks = state.tasks;
  const v = counts.get(tasks);
  let idx = v === undefined ? undefined : activeIndexes.get(tasks);
  if (idx === undefined || idx.version !== v) {
    const byKey = new Map<string, Task>();
    for (const key in tasks) {
      const t = tasks[key]!;
      if (ACTIVE_STATES.has(t.state)) byKey.set(key, t);
    }
    if (v === undefined) return [...byKey.values()];
    idx = { version: v, byKey };
    activeIndexes.set(tasks, idx);
  }
  return [...idx.byKey.values()];
}
