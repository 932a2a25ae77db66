import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FanoConfig } from '../config/schema.js';
import { claimTask, completeStep, createTask } from '../core/lifecycle.js';
import { computeMetrics } from '../core/metrics.js';
import type { QuotaOptions } from '../core/quota.js';
import { applyEvents } from '../core/reducer.js';
import { createScheduler, type BackendSlot, type SchedulerOptions } from '../core/scheduler.js';
import { at, HOUR_MS, MIN_MS, T0 } from '../core/test-builders.js';
import { emptyBackendState, type FanoState, type Task } from '../core/types.js';
import type { Backend } from '../gateway/backend.js';
import type { Logger } from '../log.js';
import type { Module } from '../modules/module.js';
import { decodeLine } from '../store/log-codec.js';
import { statePaths } from '../store/paths.js';
import { openStore, type Store } from '../store/store.js';
import { cleanupHomes, tmpHome } from '../store/test-fs.js';
import { ApplyLock, beginStep, finishStep, type StepDeps } from './step.js';

/**
 * beginStep/finishStep on a real store (temp home) with a stub module and backend: what a
 * preempting pick writes to the redo log.
 */

afterEach(() => cleanupHomes());

const BIG: QuotaOptions = { hourlyLimit: 1000, deepDailyLimit: 1000, dayResetHour: 0, decreaseFactor: 0.8, increasePerCleanHour: 2, backoffMs: 30 * MIN_MS };
const OPTS: SchedulerOptions = {
  weights: { explorer: 1 },
  starvation: { maxWaitHours: 4, boostPerHour: 5, maxBoost: 20 },
  commentBoost: 25,
  preemption: true,
  taskTypes: {},
  deepReserves: {},
};
const BACKLOGS = { blessedInsightsPending: 0, commentsPending: 0, seedsUnexplored: 0, sectionsDocumented: 0 };

const module: Module = {
  name: 'explorer',
  discover: () => [],
  prepare: () => ({ prompt: 'go on', deep: false }),
  onAnswer: (t) => ({ done: true, data: t.data, result: 'ok', events: [] }),
  handleFailure: () => [],
};
const backend: Backend = {
  name: 'b',
  type: 'mock',
  send: async () => ({ outcome: 'ok', text: 'answer', url: 'mock://b/2', resetAt: null, sent: true, detail: null, bundle: null, durationMs: 0 }),
  close: async () => {},
};
const logged: Array<{ event: string; fields?: object }> = [];
const log: Logger = {
  info: (event, fields) => void logged.push({ event, fields }),
  warn: () => {},
  error: () => {},
  debug: () => {},
  close: () => {},
  file: null,
};

function deps(store: Store, now: Date): StepDeps {
  const active = Object.values(store.state.tasks).filter((t) => t.state === 'pending' || t.state === 'paused');
  return {
    home: store.home,
    tickId: 't1',
    store,
    log,
    scheduler: createScheduler(active, store.state.meta.passes, OPTS),
    modules: new Map([['explorer', { module, options: {} }]]),
    backends: new Map([['b', backend]]),
    quota: () => BIG,
    retry: { maxRetries: 3, baseDelayMs: 60_000, multiplier: 2, maxDelayMs: 3_600_000 },
    config: {} as FanoConfig, // not read on these paths
    now: () => now,
    rng: () => 0.5,
    applyLock: new ApplyLock(),
  };
}
const slots = (store: Store): BackendSlot[] => [{ name: 'b', quota: BIG, state: store.state.backends.b ?? emptyBackendState(), busy: false }];

/** A paused conversation held on backend b (it yielded after its first step), and a more urgent task. */
async function setup(): Promise<{ store: Store; held: Task; urgent: Task }> {
  const store = await openStore(tmpHome());
  const first = createTask({ module: 'explorer', type: 'exploration', context: { seed: 's1' } }, T0);
  const held = completeStep(claimTask(first, 'b', T0), { done: false, data: {}, url: 'mock://b/1' }, at(MIN_MS));
  const urgent = createTask({ module: 'explorer', type: 'synthesis', context: { seed: 's2' }, priority: 50 }, at(2 * MIN_MS));
  await store.append(
    [
      { type: 'task.put', task: held },
      { type: 'task.put', task: urgent },
    ],
    at(2 * MIN_MS),
  );
  return { store, held, urgent };
}

function logRecords(store: Store) {
  return fs
    .readFileSync(statePaths(store.home).log, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const d = decodeLine(l);
      if (!d.ok) throw new Error(d.reason);
      return d.record;
    });
}

describe('a preempting pick', () => {
  it('records the preemption on the displaced task in the same record as the claim', async () => {
    const { store, held, urgent } = await setup();
    const now = at(3 * MIN_MS);
    const d = deps(store, now);
    const pick = d.scheduler.pick(now, slots(store))!;
    expect(pick).toMatchObject({ task: { key: urgent.key }, backend: 'b', preempted: held.key });
    const begun = beginStep(d, pick, 'r001');
    if ('failedEvents' in begun) throw new Error('prepare failed');
    await finishStep(d, begun, 'r001');

    const claim = logRecords(store).find((r) => r.events.some((e) => e.type === 'task.put' && e.task.key === urgent.key && e.task.state === 'running'))!;
    const displaced = claim.events.find((e) => e.type === 'task.put' && e.task.key === held.key);
    expect(displaced).toMatchObject({ task: { state: 'paused', preemptions: [{ at: now.toISOString(), by: urgent.key }] } });
    // Not a step of the displaced task: its wait and last-step time are unchanged.
    expect(store.state.tasks[held.key]).toEqual({ ...held, preemptions: [{ at: now.toISOString(), by: urgent.key }] });
    expect(logged).toContainEqual({ event: 'task.preempted', fields: expect.objectContaining({ taskId: held.key, preemptingTask: urgent.key }) });
    expect(computeMetrics(store.state, now, BACKLOGS).preemptions24h).toBe(1);
    expect(computeMetrics(store.state, at(25 * HOUR_MS), BACKLOGS).preemptions24h).toBe(0);

    // The next tick's scheduler does not name the same displacement again (the preemptor is done).
    const later = createTask({ module: 'explorer', type: 'synthesis', context: { seed: 's3' } }, now);
    await store.append([{ type: 'task.put', task: later }], now);
    const next = deps(store, at(4 * MIN_MS)).scheduler.pick(at(4 * MIN_MS), slots(store));
    expect(next?.task.key).toBe(later.key);
    expect(next?.preempted).toBeUndefined();
    await store.close();
  });

  it('replaying the redo log twice gives the same state, and a reload keeps the record', async () => {
    const { store, held } = await setup();
    const now = at(3 * MIN_MS);
    const d = deps(store, now);
    const begun = beginStep(d, d.scheduler.pick(now, slots(store))!, 'r001');
    if ('failedEvents' in begun) throw new Error('prepare failed');
    await finishStep(d, begun, 'r001');
    const records = logRecords(store);
    const fold = (s: FanoState) =>
      applyEvents(
        s,
        records.flatMap((r) => r.events),
      );
    const once = fold(structuredClone(store.state));
    expect(fold(structuredClone(once))).toEqual(once);
    expect(once).toEqual(store.state);
    await store.close();

    const reopened = await openStore(store.home, { readOnly: true });
    expect(reopened.state).toEqual(once);
    expect(reopened.state.tasks[held.key]!.preemptions).toHaveLength(1);
    await reopened.close();
  });
});
