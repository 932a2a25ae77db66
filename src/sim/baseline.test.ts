import { describe, expect, test } from 'vitest';
import type { Task } from '../core/types.js';
import type { Module, TaskSpec } from '../modules/module.js';
import { createMemoryStore } from '../store/memory-store.js';
import { BaselineDriver } from './baseline.js';
import { SimMetrics } from './metrics.js';
import { ModuleHost } from './module-host.js';
import { HOUR_MS, MINUTE_MS, SIM_EPOCH_MS } from './scenario.js';
import type { SimResponse } from './world.js';

/** A module with a fixed list of one-step tasks. */
function fakeModule(specs: TaskSpec[]): Module {
  let given = false;
  return {
    name: 'explorer',
    discover: () => (given ? [] : ((given = true), specs)),
    prepare: (t: Readonly<Task>) => ({ prompt: t.key, deep: t.deep }),
    onAnswer: (t: Readonly<Task>) => ({ done: true, data: t.data, events: [] }),
    handleFailure: () => [],
  };
}

const ok: SimResponse = { outcome: 'ok', latencyMs: 1000, resetAtMs: null, sent: true };
const limited: SimResponse = { outcome: 'rateLimited', latencyMs: 1000, resetAtMs: null, sent: true };
const siteError: SimResponse = { outcome: 'siteError', latencyMs: 1000, resetAtMs: null, sent: true };
const at = (ms: number) => new Date(SIM_EPOCH_MS + ms);

async function setup(n: number, hourlyLimit = 10) {
  const specs = Array.from({ length: n }, (_, i) => ({ module: 'explorer', type: 'exploration', context: { i } }));
  const host = new ModuleHost(createMemoryStore(), '<memory>', [{ module: fakeModule(specs), options: {} }]);
  const metrics = new SimMetrics(['a', 'b']);
  const d = new BaselineDriver(host, metrics, {
    backends: [
      { name: 'a', hourlyLimit, deepDailyLimit: 0 },
      { name: 'b', hourlyLimit, deepDailyLimit: 0 },
    ],
    defaultRetryAfterMs: 30 * MINUTE_MS,
    consultationIntervalMs: Number.MAX_SAFE_INTEGER,
    responders: [],
    seed: 1,
    backlog: { secondRound: false, maxAttempts: 3 },
  });
  await d.discover(at(0));
  return { d, metrics };
}

describe('baseline (the seed as written)', () => {
  test('one global lock: nothing starts while any backend is busy', async () => {
    const { d } = await setup(5);
    expect(d.next(at(0), new Set(['b']))).toBeNull();
    expect(d.next(at(0), new Set())).not.toBeNull();
  });

  test('takes the first available LLM, and keeps it until its 90 % buffer is used', async () => {
    const { d } = await setup(20);
    const used: string[] = [];
    for (let i = 0; i < 10; i++) {
      const s = d.next(at(i * 1000), new Set())!;
      used.push(s.backend);
      await d.finish(s, ok, at(i * 1000 + 500));
    }
    // can_use refuses at usage >= 10 * 0.9, so 9 go to `a` before `b` gets any.
    expect(used).toEqual([...Array(9).fill('a'), 'b']);
  });

  test('a rate limit overwrites hourly_limit with int(used * 0.8) and it never grows back', async () => {
    const { d } = await setup(40);
    let t = 0;
    for (let i = 0; i < 5; i++) {
      const s = d.next(at(t), new Set())!;
      await d.finish(s, i < 4 ? ok : limited, at(t + 500));
      t += 1000;
    }
    // Limited for retry_after (30 min without a hint) + 60 s.
    expect(d.believesLimited('a', at(t + 30 * MINUTE_MS))).toBe(true);
    expect(d.believesLimited('a', at(t + 32 * MINUTE_MS))).toBe(false);
    // Next calendar hour: limit int(5 * 0.8) = 4, 10 % buffer → 4 requests (usage 0..3 < 3.6).
    const uses: string[] = [];
    for (let i = 0; i < 8; i++) {
      const s = d.next(at(HOUR_MS + i * 1000), new Set())!;
      uses.push(s.backend);
      await d.finish(s, ok, at(HOUR_MS + i * 1000 + 500));
    }
    expect(uses.filter((b) => b === 'a').length).toBe(4);
  });

  test('only completed tasks are skipped: a failed task is picked again at once, no backoff', async () => {
    const { d, metrics } = await setup(1);
    const s1 = d.next(at(0), new Set())!;
    await d.finish(s1, siteError, at(1000));
    const s2 = d.next(at(1001), new Set())!;
    expect(s2.taskKey).toBe(s1.taskKey);
    await d.finish(s2, ok, at(2000));
    expect(metrics.tasksCompleted).toBe(1);
    expect(metrics.tasksFailed).toBe(1);
    expect(d.next(at(3000), new Set())).toBeNull();
  });
});
