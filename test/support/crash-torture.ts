/**
 * The crash-torture workload (echo on a flaky mock) and its checks, shared by the crash-point and
 * random-kill tests: an Observer checks the invariants between processes, and a finished home is
 * compared with an uncrashed run of the same seeded workload.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { FanoState } from '../../src/core/types.js';
import { readArchive, readState, verifyStore } from '../../src/store/store.js';
import { runFano, tempHome } from './cli.js';
import { echoHomeConfig } from './echo-home.js';

export const TURNS = 3;
export const SEEDS = 8;
export const config = (archiveAfterDays = 7) =>
  echoHomeConfig({
    mock: { latencyMs: 20, failureRate: 0.15, seed: 7 },
    turns: TURNS,
    tick: { maxRequests: 4, lockStaleSeconds: 2 },
    state: { archiveAfterDays },
    immediateRetries: true,
  });
export const seedsYaml = (count = SEEDS) =>
  'seeds:\n' +
  Array.from(
    { length: count },
    (_, i) =>
      `  - id: s${i}\n    type: ${i % 2 ? 'question' : 'conjecture'}\n    priority: ${1 + (i % 10)}\n    text: Seed number ${i} about lines and points.\n`,
  ).join('') +
  '  - id: ax\n    type: axiom\n    text: An axiom is context only.\n';

/** archiveAfterDays 0 moves every finished task to state/archive/ at the end of its tick. */
export const newHome = (seeds = SEEDS, archiveAfterDays = 7) =>
  tempHome({ 'fano.config.yaml': config(archiveAfterDays), 'state/explorer/seeds.yaml': seedsYaml(seeds) }, 'fano-torture-');

/** What must be identical between a crashed and an uncrashed run: results, not timing. */
export async function normalize(home: string) {
  const { state } = await readState(home);
  const archive = await readArchive(home);
  expect(archive.badLines).toEqual([]);
  const tasks = new Map(archive.tasks.map((t) => [t.key, t]));
  for (const t of Object.values(state.tasks)) tasks.set(t.key, t);
  return {
    tasks: [...tasks.values()]
      .map((t) => ({ key: t.key, state: t.state, result: t.result, data: t.data, llmRequests: t.llmRequests }))
      .sort((a, b) => a.key.localeCompare(b.key)),
    modules: state.modules,
  };
}

export const ACTIVE = new Set(['pending', 'running', 'paused']);

/** Observes the home between processes and checks the invariants that must hold at every instant. */
export class Observer {
  private completed = new Set<string>();
  private lastSeq = 0;
  private archivedKeys = new Set<string>();
  async check(home: string): Promise<FanoState> {
    const { state, checkpointSeq, pendingRecords } = await readState(home);
    for (const t of (await readArchive(home)).tasks) {
      this.archivedKeys.add(t.key);
      if (t.state === 'completed') this.completed.add(t.key);
    }
    const seq = checkpointSeq + pendingRecords;
    expect(seq, 'seq never goes backwards').toBeGreaterThanOrEqual(this.lastSeq);
    this.lastSeq = seq;
    const perSeed = new Map<string, number>();
    for (const [key, t] of Object.entries(state.tasks)) {
      expect(t.key).toBe(key);
      if (this.completed.has(key)) expect(t.state, `completed task ${key} went back to ${t.state}`).toBe('completed');
      expect(this.archivedKeys.has(key) && ACTIVE.has(t.state), `archived task ${key} is active again`).toBe(false);
      if (t.state === 'completed') this.completed.add(key);
      if (ACTIVE.has(t.state)) perSeed.set(t.context.seedId as string, (perSeed.get(t.context.seedId as string) ?? 0) + 1);
      const answers = (t.data.answers as unknown[] | undefined) ?? [];
      expect(answers.length, `no answer applied twice in ${key}`).toBeLessThanOrEqual(TURNS);
      expect(answers.length).toBe(t.llmRequests);
    }
    for (const [seed, n] of perSeed) expect(n, `two active tasks for seed ${seed}`).toBe(1);
    for (const r of Object.values(state.modules.echo?.results ?? {})) {
      expect((r as { answers: unknown[] }).answers.length).toBe(TURNS);
    }
    return state;
  }
  /** Every task that was ever seen completed is still there (in the state or the archive). */
  async lost(home: string): Promise<string[]> {
    const { state } = await readState(home);
    const archived = new Map((await readArchive(home)).tasks.map((t) => [t.key, t]));
    return [...this.completed].filter((k) => (state.tasks[k] ?? archived.get(k))?.state !== 'completed');
  }
}

export const done = (s: FanoState, seeds = SEEDS) =>
  Object.keys(s.modules.echo?.results ?? {}).length === seeds && !Object.values(s.tasks).some((t) => ACTIVE.has(t.state));

export async function tickUntilDone(home: string, obs: Observer, seeds = SEEDS, maxTicks = 200): Promise<FanoState> {
  for (let i = 0; i < maxTicks; i++) {
    const r = await runFano(['tick'], { home });
    expect(r.code, r.stderr).toBe(0);
    const s = await obs.check(home);
    if (done(s, seeds)) return s;
  }
  throw new Error(`work not done after ${maxTicks} ticks`);
}

export async function verifyOk(home: string) {
  const v = await runFano(['verify'], { home });
  expect(v.code, v.stdout + v.stderr).toBe(0);
}

/** `fano verify`'s check without starting a process: for the checks between crashes (each run's end uses the CLI). */
export async function verifyInProcess(home: string) {
  const r = await verifyStore(home);
  expect(r.problems).toEqual([]);
  expect(r.ok).toBe(true);
}

/** After a SIGKILL the lock is left behind; every 25th crash waits until it is stale (the next tick takes it over), the rest clear it. */
export async function afterKill(home: string, n: number) {
  if (n % 25 !== 0) return rmSync(join(home, 'state', 'tick.lock'), { recursive: true, force: true });
  // The killed holder's last refresh must be older than the stale time (2 s) for the next tick to take over.
  const owner = join(home, 'state', 'tick.lock', 'owner.json');
  const refreshedAt = () => {
    try {
      return statSync(owner).mtimeMs;
    } catch {
      return 0; // no lock left (killed before taking it, or after releasing it)
    }
  };
  while (Date.now() - refreshedAt() <= 2_100) await sleep(50);
}

/** The final state of an uncrashed run of the workload with `seeds` seeds. */
export async function referenceRun(seeds: number) {
  const home = newHome(seeds);
  await tickUntilDone(home, new Observer(), seeds);
  await verifyOk(home);
  return normalize(home);
}
