/**
 * Crash torture: real `fano tick` processes on the mock are killed at every
 * named crash point and at 200+ random instants; ticks are restarted until the work is done, and
 * the invariants are checked along the way and at the end against an uncrashed run of the same
 * seeded workload.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRASH_POINTS } from '../../src/crash.js';
import type { FanoState } from '../../src/core/types.js';
import { mulberry32 } from '../../src/core/rng.js';
import { readArchive, readState } from '../../src/store/store.js';
import { runFano, startFano, tempHome } from '../support/cli.js';
import { echoHomeConfig } from '../support/echo-home.js';

const TURNS = 3;
const SEEDS = 8;
const config = (archiveAfterDays = 7) =>
  echoHomeConfig({
    mock: { latencyMs: 20, failureRate: 0.15, seed: 7 },
    turns: TURNS,
    tick: { maxRequests: 4, lockStaleSeconds: 2 },
    state: { archiveAfterDays },
    immediateRetries: true,
  });
const seedsYaml = (count = SEEDS) =>
  'seeds:\n' +
  Array.from({ length: count }, (_, i) => `  - id: s${i}\n    type: ${i % 2 ? 'question' : 'conjecture'}\n    priority: ${1 + (i % 10)}\n    text: Seed number ${i} about lines and points.\n`).join('') +
  '  - id: ax\n    type: axiom\n    text: An axiom is context only.\n';

/** archiveAfterDays 0 moves every finished task to state/archive/ at the end of its tick. */
const newHome = (seeds = SEEDS, archiveAfterDays = 7) =>
  tempHome({ 'fano.config.yaml': config(archiveAfterDays), 'state/explorer/seeds.yaml': seedsYaml(seeds) }, 'fano-torture-');

/** What must be identical between a crashed and an uncrashed run: results, not timing. */
async function normalize(home: string) {
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

const ACTIVE = new Set(['pending', 'running', 'paused']);

/** Observes the home between processes and checks the invariants that must hold at every instant. */
class Observer {
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
      expect(((r as { answers: unknown[] }).answers).length).toBe(TURNS);
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

const done = (s: FanoState, seeds = SEEDS) =>
  Object.keys(s.modules.echo?.results ?? {}).length === seeds && !Object.values(s.tasks).some((t) => ACTIVE.has(t.state));

async function tickUntilDone(home: string, obs: Observer, seeds = SEEDS, maxTicks = 200): Promise<FanoState> {
  for (let i = 0; i < maxTicks; i++) {
    const r = await runFano(['tick'], { home });
    expect(r.code, r.stderr).toBe(0);
    const s = await obs.check(home);
    if (done(s, seeds)) return s;
  }
  throw new Error(`work not done after ${maxTicks} ticks`);
}

async function verifyOk(home: string) {
  const v = await runFano(['verify'], { home });
  expect(v.code, v.stdout + v.stderr).toBe(0);
}

/** After a SIGKILL the lock is left behind; every 25th crash waits for the stale takeover, the rest clear it. */
async function afterKill(home: string, n: number) {
  if (n % 25 === 0) await sleep(3_500); // stale time 2 s, and proper-lockfile may date a lock up to 1 s ahead
  else rmSync(join(home, 'state', 'tick.lock'), { recursive: true, force: true });
}

/** The final state of an uncrashed run of the workload with `seeds` seeds. */
async function referenceRun(seeds: number) {
  const home = newHome(seeds);
  await tickUntilDone(home, new Observer(), seeds);
  await verifyOk(home);
  return normalize(home);
}

describe('crash torture on the mock', () => {
  let reference: Awaited<ReturnType<typeof normalize>>;

  it('an uncrashed run of the seeded workload finishes', async () => {
    reference = await referenceRun(SEEDS);
    expect(reference.tasks).toHaveLength(SEEDS);
    expect(reference.tasks.every((t) => t.state === 'completed')).toBe(true);
    expect(Object.keys(reference.modules.echo?.results ?? {})).toHaveLength(SEEDS);
  }, 120_000);

  it.each(CRASH_POINTS.map((p) => [p]))('crash point %s: recovers to the same final state', async (point) => {
    // The archive point only fires when finished tasks are archived: archive them at once there.
    const home = newHome(SEEDS, point === 'archive.appended' ? 0 : 7);
    const obs = new Observer();
    let crashes = 0;
    // Crash at the 1st, 2nd, 3rd... time the point is reached, restarting in between.
    for (let nth = 1; nth <= 6; nth++) {
      const r = await runFano(['tick'], { home, env: { FANO_CRASH_AT: `${point}@${nth}` } });
      if (r.signal === 'SIGKILL') {
        crashes++;
        await afterKill(home, crashes);
      } else expect(r.code, r.stderr).toBe(0);
      await obs.check(home);
      await verifyOk(home);
    }
    await tickUntilDone(home, obs);
    await verifyOk(home);
    expect(await obs.lost(home)).toEqual([]);
    expect(await normalize(home)).toEqual(reference);
    expect(crashes, `FANO_CRASH_AT=${point} never fired`).toBeGreaterThan(0);
  }, 180_000);

  it('200 random SIGKILLs during real ticks: nothing lost, nothing applied twice', async () => {
    // Work arrives in batches (new seeds appended when the last batch is done) so the kills keep
    // landing on working ticks rather than on an idle home.
    const BATCH = 15;
    const BATCHES = 4;
    const home = newHome(BATCH, 0);
    const obs = new Observer();
    const rng = mulberry32(20261123);
    let kills = 0;
    let batches = 1;
    while (kills < 200) {
      const { child, done: finished } = startFano(['tick'], { home });
      // Somewhere in the tick's life: start-up, load, discovery, requests, checkpoint, unlock.
      const delay = Math.floor(rng() * 500);
      const timedOut = await Promise.race([sleep(delay).then(() => true), finished.then(() => false)]);
      if (timedOut) child.kill('SIGKILL');
      const r = await finished;
      if (r.signal === 'SIGKILL') {
        kills++;
        await afterKill(home, kills);
      } else expect([0, 75], r.stderr).toContain(r.code);
      const s = await obs.check(home);
      if (kills % 20 === 0) await verifyOk(home);
      if (done(s, batches * BATCH) && batches < BATCHES) {
        batches++;
        writeFileSync(join(home, 'state/explorer/seeds.yaml'), seedsYaml(batches * BATCH));
      }
    }
    writeFileSync(join(home, 'state/explorer/seeds.yaml'), seedsYaml(BATCHES * BATCH));
    await tickUntilDone(home, obs, BATCHES * BATCH);
    await verifyOk(home);
    expect(await obs.lost(home)).toEqual([]);
    expect(await normalize(home)).toEqual(await referenceRun(BATCHES * BATCH));
  }, 900_000);
});
