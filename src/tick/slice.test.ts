import { describe, expect, it } from 'vitest';
import type { TaskSpec } from '../modules/module.js';
import { MINUTE_MS, SECOND_MS } from '../core/time.js';
import type { Task } from '../core/types.js';
import type { LlmResponse } from '../gateway/backend.js';
import type { Module, StepOutcome } from '../modules/module.js';
import { DETACH } from './step.js';
import { okReply, scriptedBackend, TickHarness, type Reply } from './tick-harness.js';

/**
 * The tick loop (runSlice) on an in-memory store and a virtual clock: deadlines, detach and
 * harvest, rediscovery, rate-limit rollback and module failures, with no real time passing.
 */

const T0 = new Date('2026-03-02T08:00:00.000Z');
const S = SECOND_MS;

/** A module "work" with tasks named by the test; each answer finishes its task. */
function workModule(over: Partial<Module> & { specs?: (now: Date) => TaskSpec[] } = {}): Module & { failures: string[] } {
  const failures: string[] = [];
  const { specs, ...rest } = over;
  return {
    name: 'work',
    discover: (ctx) => (specs ? specs(ctx.now) : []),
    prepare: (t) => ({ prompt: `do ${t.context.n as number}`, deep: false }),
    onAnswer: (t): StepOutcome => ({ done: true, data: t.data, result: 'ok', events: [] }),
    handleFailure: (t, error) => {
      failures.push(`${t.key}: ${error}`);
      return [];
    },
    failures,
    ...rest,
  };
}
const tasks =
  (...ns: number[]) =>
  (): TaskSpec[] =>
    ns.map((n) => ({ module: 'work', type: 'job', context: { n } }));

/** Answers after `ms` of virtual time. */
const after =
  (h: TickHarness, ms: number, res: LlmResponse = okReply()): Reply =>
  async () => {
    await h.clock.sleep(ms);
    return res;
  };

const byKey = (h: TickHarness, n: number): Task => Object.values(h.store.state.tasks).find((t) => t.context.n === n)!;
const elapsed = (h: TickHarness) => h.clock.nowMs() - T0.getTime();

describe('the tick loop', () => {
  it('serves every backend at once and stops at tick.maxRequests', async () => {
    const h = new TickHarness({ start: T0, config: { tick: { maxRequests: 3 } } });
    h.addModule(workModule({ specs: tasks(1, 2, 3, 4, 5) }));
    h.addBackend(scriptedBackend('a', after(h, 30 * S))).addBackend(scriptedBackend('b', after(h, 30 * S)));
    const c = await h.tick();
    expect(c).toMatchObject({ steps: 3, requests: 3, discovered: 5 });
    // Two in parallel, then the third: 60 s, not 90 s.
    expect(elapsed(h)).toBe(60 * S);
    expect(Object.values(h.store.state.tasks).filter((t) => t.state === 'completed')).toHaveLength(3);
  });

  it('--once makes exactly one step', async () => {
    const h = new TickHarness({ start: T0 });
    h.addModule(workModule({ specs: tasks(1, 2, 3) }));
    h.addBackend(scriptedBackend('a', after(h, S))).addBackend(scriptedBackend('b', after(h, S)));
    expect(await h.tick({ once: true })).toMatchObject({ steps: 1, requests: 1 });
  });

  it('starts nothing past tick.maxSeconds and waits for a step that was not submitted', async () => {
    const h = new TickHarness({ start: T0, config: { tick: { maxSeconds: 100 } }, state: undefined });
    h.addModule(workModule({ specs: tasks(1, 2, 3, 4, 5) }));
    h.addBackend(scriptedBackend('a', after(h, 40 * S)));
    h.config.backends = { a: h.config.backends.a! };
    const c = await h.tick();
    // Picks at 0, 40 and 80 s; the third answers at 120 s, after the deadline, and is applied.
    expect(c.steps).toBe(3);
    expect(elapsed(h)).toBe(120 * S);
    const states = Object.values(h.store.state.tasks)
      .map((t) => t.state)
      .sort();
    expect(states).toEqual(['completed', 'completed', 'completed', 'pending', 'pending']);
    expect(h.events('tick.detaching')).toHaveLength(0);
  });

  it('work an answer makes due starts in the same tick (no waiting for the next tick or rediscovery)', async () => {
    const h = new TickHarness({ start: T0, config: { tick: { rediscoverSeconds: 600 } } });
    // Task n+1 exists once task n is done: a chain like a thread's exchanges.
    h.addModule(
      workModule({
        specs: () => {
          const done = Object.values(h.store.state.tasks).filter((t) => t.state === 'completed').length;
          return tasks(...Array.from({ length: Math.min(done + 1, 4) }, (_, i) => i + 1))();
        },
      }),
    );
    h.config.backends = { a: h.config.backends.a! };
    h.addBackend(scriptedBackend('a', after(h, 10 * S)));
    const c = await h.tick();
    expect(c.steps).toBe(4);
    expect(elapsed(h)).toBe(40 * S);
  });

  it('past the deadline it waits for an unsubmitted step without spinning on a discovery time gone by', async () => {
    const h = new TickHarness({ start: T0, config: { tick: { maxSeconds: 100, rediscoverSeconds: 30 } } });
    let discoveries = 0;
    h.addModule(workModule({ specs: () => (discoveries++, tasks(1)()) }));
    h.config.backends = { a: h.config.backends.a! };
    h.addBackend(scriptedBackend('a', after(h, 10 * MINUTE_MS)));
    await h.tick();
    expect(elapsed(h)).toBe(10 * MINUTE_MS);
    // At the start, at 30, 60 and 90 s, and after the slice: none while past the deadline.
    expect(discoveries).toBe(5);
    expect(byKey(h, 1).state).toBe('completed');
  }, 5000);

  it('detaches a submitted request at the deadline; the next tick harvests its answer without asking again', async () => {
    const h = new TickHarness({ start: T0, config: { tick: { maxSeconds: 60 } } });
    h.addModule(workModule({ specs: tasks(1) }));
    h.config.backends = { a: h.config.backends.a! };
    let harvested = 0;
    h.addBackend(
      scriptedBackend('a', async (req, ctx) => {
        if (req.harvestOnly) {
          harvested += 1;
          return okReply('late answer', req.conversation!.url);
        }
        await req.onSubmitted!({ url: 'mock://a/c1' });
        await h.clock.sleep(20 * MINUTE_MS, ctx.signal);
        expect(ctx.signal?.reason).toBe(DETACH);
        return { ...okReply(), outcome: 'siteError', text: '', detail: 'aborted' };
      }),
    );
    const first = await h.tick();
    expect(first.steps).toBe(1);
    expect(elapsed(h)).toBe(60 * S);
    expect(h.events('task.detached')).toHaveLength(1);
    const t = byKey(h, 1);
    expect(t.state).toBe('running');
    expect(t.conversation).toMatchObject({ backend: 'a', url: 'mock://a/c1', submitted: { requestId: 'r001' } });
    const counted = h.store.state.backends.a!.recent.length;
    expect(counted).toBe(1);

    h.clock.advance(MINUTE_MS);
    const second = await h.tick();
    expect(second).toMatchObject({ recovered: 1, steps: 1 });
    expect(harvested).toBe(1);
    const sent = (h.backends.get('a') as ReturnType<typeof scriptedBackend>).requests;
    expect(sent.map((r) => r.harvestOnly)).toEqual([false, true]);
    expect(byKey(h, 1).state).toBe('completed');
    // The harvest re-reads an answer already counted when it was submitted.
    expect(h.store.state.backends.a!.recent.length).toBe(counted);
  });

  it('finds work that appears during a long tick at the next rediscovery and runs it on a free backend', async () => {
    const h = new TickHarness({ start: T0, config: { tick: { maxSeconds: 240, rediscoverSeconds: 60 } } });
    const commentAt = T0.getTime() + 30 * S;
    h.addModule(workModule({ specs: (now) => [...tasks(1)(), ...(now.getTime() >= commentAt ? tasks(2)() : [])] }));
    h.addBackend(scriptedBackend('a', after(h, 150 * S))).addBackend(scriptedBackend('b', after(h, 10 * S)));
    const c = await h.tick();
    expect(c.discovered).toBe(2);
    const picked = h.events('task.picked');
    expect(picked.map((p) => [p.fields.taskId, p.at - T0.getTime()])).toEqual([
      [byKey(h, 1).key, 0],
      [byKey(h, 2).key, 60 * S],
    ]);
    expect(byKey(h, 2).state).toBe('completed');
  });

  it('a rate limit keeps the request counted, a request that never reached the site is given back', async () => {
    const h = new TickHarness({ start: T0, config: { tick: { maxRequests: 2 } } });
    h.addModule(workModule({ specs: tasks(1, 2) }));
    const resetAt = new Date(T0.getTime() + 30 * MINUTE_MS).toISOString();
    h.addBackend(scriptedBackend('a', async () => ({ ...okReply(), outcome: 'rateLimited', text: '', resetAt, sent: false, detail: 'limit' })));
    h.addBackend(scriptedBackend('b', async () => ({ ...okReply(), outcome: 'siteError', text: '', sent: false, detail: 'page did not load' })));
    await h.tick();
    const a = h.store.state.backends.a!;
    const b = h.store.state.backends.b!;
    expect(a.rateLimitedUntil).toBe(resetAt);
    expect(a.recent).toHaveLength(1);
    expect(b.recent).toHaveLength(0);
    expect(b.totalRequests).toBe(0);
    // The backend rests; the task is free to go to another backend at once.
    const limited = Object.values(h.store.state.tasks).find((t) => t.lastError?.kind === 'rateLimited')!;
    expect(limited).toMatchObject({ state: 'paused', attempts: 0 });
    expect(Date.parse(limited.notBefore!)).toBeLessThanOrEqual(h.clock.nowMs());
    expect(h.events('llm.rate_limited')).toHaveLength(1);
  });

  it('a module failure pauses the task with backoff, and after the last retry the module handles the failure', async () => {
    const h = new TickHarness({ start: T0, config: { retries: { maxRetries: 1, baseDelaySeconds: 60, maxDelaySeconds: 60 } } });
    const mod = workModule({
      specs: tasks(1, 2),
      prepare: (t) => {
        if (t.context.n === 1) throw new Error('no prompt for this');
        return { prompt: 'x', deep: false };
      },
      onAnswer: (t) => ({ done: false, data: { ...t.data, kept: 'draft' }, events: [], fail: 'not the format' }),
    });
    h.addModule(mod);
    h.config.backends = { a: h.config.backends.a! };
    h.addBackend(scriptedBackend('a', after(h, S)));
    await h.tick();
    expect(byKey(h, 1)).toMatchObject({ state: 'paused', attempts: 1, lastError: { kind: 'module', message: 'prepare failed: no prompt for this' } });
    expect(byKey(h, 2)).toMatchObject({
      state: 'paused',
      attempts: 1,
      data: { kept: 'draft' },
      lastError: { kind: 'module', message: 'answer not usable: not the format' },
    });
    // A failed prepare sends nothing and costs no quota.
    expect(h.store.state.backends.a!.recent).toHaveLength(1);
    expect(mod.failures).toEqual([]);

    h.clock.advance(10 * MINUTE_MS);
    await h.tick();
    expect(byKey(h, 1).state).toBe('failed');
    expect(byKey(h, 2).state).toBe('failed');
    expect([...mod.failures].sort()).toEqual([`${byKey(h, 1).key}: no prompt for this`, `${byKey(h, 2).key}: not the format`].sort());
  });

  it('an answer that the module cannot read (onAnswer throws) is a module failure, not a crash', async () => {
    const h = new TickHarness({ start: T0 });
    h.addModule(
      workModule({
        specs: tasks(1),
        onAnswer: () => {
          throw new Error('bad yaml');
        },
      }),
    );
    h.addBackend(scriptedBackend('a', after(h, S)));
    h.config.backends = { a: h.config.backends.a! };
    await h.tick();
    expect(byKey(h, 1)).toMatchObject({ state: 'paused', lastError: { kind: 'module', message: 'answer not usable: bad yaml' } });
    expect(h.store.state.backends.a!.totalRequests).toBe(1);
  });

  it('a failing write aborts the tick only after the other in-flight steps have settled', async () => {
    const h = new TickHarness({ start: T0 });
    h.addModule(workModule({ specs: tasks(1, 2) }));
    const lost = new Error('the tick lock was lost');
    h.addBackend(
      scriptedBackend('a', async () => {
        await h.clock.sleep(10 * S);
        h.store.failAppends(lost);
        return okReply();
      }),
    );
    let bDone = false;
    h.addBackend(
      scriptedBackend('b', async () => {
        await h.clock.sleep(20 * S);
        bDone = true;
        return okReply();
      }),
    );
    await expect(h.tick()).rejects.toBe(lost);
    expect(bDone).toBe(true);
    expect(elapsed(h)).toBe(20 * S);
  });

  it('leaves a paused state alone: discovery runs, nothing is picked', async () => {
    const h = new TickHarness({ start: T0 });
    h.addModule(workModule({ specs: tasks(1) }));
    h.addBackend(scriptedBackend('a', after(h, S)));
    await h.store.append([{ type: 'meta.put', key: 'paused', value: true }], T0);
    const c = await h.tick();
    expect(c).toMatchObject({ discovered: 1, steps: 0 });
    expect(h.events('tick.paused')).toHaveLength(1);
  });
});
