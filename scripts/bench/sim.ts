// The scheduler simulation benchmark: 7 simulated days, fano and the original design's baseline
// (src/sim/baseline.ts) side by side on the same world, plus the scheduler's pick time among 10,000 runnable
// tasks. Targets are checked here and printed by scripts/bench.ts, never asserted in tests.
import { claimTask, completeStep, createTask } from '../../src/core/lifecycle.js';
import { createScheduler, type BackendSlot } from '../../src/core/scheduler.js';
import { emptyBackendState } from '../../src/core/types.js';
import { runSimulation, simConfig } from '../../src/sim/simulate.js';
import { defaultScenario } from '../../src/sim/scenario.js';
import { quotaOptions, schedulerOptions } from '../../src/config/core-options.js';
import type { BenchRow } from './types.js';

const DAYS = 7;
const SEED = 1;
const PICK_TASKS = 10_000;
const PICK_SAMPLES = 301;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/**
 * Median time of one `pick` among PICK_TASKS runnable tasks of three modules. Each picked task is
 * claimed and then yields (paused, runnable again), the way the tick drives the scheduler, so
 * the measurement includes the lazy re-ordering a real pick sequence causes.
 */
export function benchPickMs(): number {
  const config = simConfig(defaultScenario());
  const now = new Date('2026-01-05T12:00:00.000Z');
  const types: Record<string, string[]> = {
    explorer: ['exploration', 'review', 'critique'],
    documenter: ['review_section', 'incorporate_insight', 'address_comment'],
    researcher: ['evaluate_source', 'extract_content', 'generate_questions'],
  };
  const modules = Object.keys(types);
  const tasks = [];
  for (let i = 0; i < PICK_TASKS; i++) {
    const module = modules[i % 3]!;
    const type = types[module]![Math.floor(i / 3) % 3]!;
    const created = new Date(now.getTime() - (i % 600) * 60_000);
    tasks.push(createTask({ module, type, context: { n: i } }, created));
  }
  const scheduler = createScheduler(tasks, {}, schedulerOptions(config, config.scheduler.weights));
  const slots: BackendSlot[] = Object.keys(config.backends).map((name) => ({
    name,
    quota: { ...quotaOptions(config, config.backends[name]!), hourlyLimit: 1_000_000 },
    state: emptyBackendState(),
    busy: false,
  }));
  const samples: number[] = [];
  let t = now.getTime();
  for (let i = 0; i < PICK_SAMPLES; i++) {
    const at = new Date(t);
    const t0 = performance.now();
    const p = scheduler.pick(at, slots);
    samples.push(performance.now() - t0);
    if (!p) break;
    const claimed = claimTask(p.task, p.backend, at);
    scheduler.update(claimed);
    scheduler.charge(claimed.module);
    t += 1000;
    scheduler.update(completeStep(claimed, { done: false, data: {}, url: null }, new Date(t)));
  }
  return median(samples);
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

/**
 * One simulated week of fano (the real tick loop and modules) and of the baseline on seed 1's
 * steady world. The goals over every scenario and seeds 1-6 are measured by `fano simulate` runs
 * (docs/simulation.md), too long for a bench row.
 */
export async function benchSim(): Promise<BenchRow[]> {
  const fano = await timed(() => runSimulation({ days: DAYS, seed: SEED, algorithm: 'fano' }));
  const base = await timed(() => runSimulation({ days: DAYS, seed: SEED, algorithm: 'baseline' }));
  const f = fano.value;
  const b = base.value;
  const ratio = b.tasksPerDay > 0 ? f.tasksPerDay / b.tasksPerDay : Number.POSITIVE_INFINITY;
  const pickMs = benchPickMs();
  const rows: BenchRow[] = [
    { name: `${DAYS} simulated days, fano + baseline (wall)`, value: (fano.ms + base.ms) / 1000, unit: 's', target: '≤ 30 s', ok: fano.ms + base.ms <= 30_000 },
    { name: `${DAYS} simulated days, fano (wall)`, value: fano.ms / 1000, unit: 's' },
    { name: `${DAYS} simulated days, baseline (wall)`, value: base.ms / 1000, unit: 's' },
    { name: 'wall seconds per simulated day, fano', value: fano.ms / 1000 / DAYS, unit: 's/day' },
    { name: 'wall seconds per simulated day, baseline', value: base.ms / 1000 / DAYS, unit: 's/day' },
    { name: 'capacity used, fano', value: f.capacityUsed * 100, unit: '%', target: '≥ 95 %', ok: f.capacityUsed >= 0.95 },
    { name: 'capacity used, baseline', value: b.capacityUsed * 100, unit: '%' },
    { name: 'comment latency p95, fano', value: f.commentLatencyP95Min, unit: 'sim min', target: '≤ 15', ok: f.commentLatencyP95Min <= 15 },
    { name: 'comment latency p95, baseline', value: b.commentLatencyP95Min, unit: 'sim min' },
    {
      name: 'longest stall on an unavailable backend while another was idle, fano',
      value: f.stalledWhileOtherFreeMaxMin ?? 0,
      unit: 'sim min',
      target: '≤ 30',
      ok: (f.stalledWhileOtherFreeMaxMin ?? 0) <= 30,
    },
    { name: 'urgent seed explored, max, fano', value: f.urgentSeedExploreMaxMin, unit: 'sim min', target: '≤ 1440', ok: f.urgentSeedExploreMaxMin <= 1440 },
    { name: 'tasks/day, fano', value: f.tasksPerDay, unit: 'tasks' },
    { name: 'tasks/day, baseline', value: b.tasksPerDay, unit: 'tasks' },
    { name: 'tasks/day ratio fano/baseline', value: ratio, unit: '×', target: '≥ 2.5×', ok: ratio >= 2.5 },
    { name: `scheduler pick among ${PICK_TASKS} runnable tasks (median)`, value: pickMs, unit: 'ms', target: '≤ 1 ms', ok: pickMs <= 1 },
  ];
  return rows;
}

/**
 * One simulated day of seed 1's steady world, fano and the baseline: the simulator's speed in
 * seconds of wall time per simulated day, quick enough to run after a change
 * (`npm run bench -- "simulated day"`). The week above is the target.
 */
export async function benchSimDay(): Promise<BenchRow[]> {
  const fano = await timed(() => runSimulation({ days: 1, seed: SEED, algorithm: 'fano' }));
  const base = await timed(() => runSimulation({ days: 1, seed: SEED, algorithm: 'baseline' }));
  return [
    { name: 'wall seconds per simulated day (day 1), fano', value: fano.ms / 1000, unit: 's/day' },
    { name: 'wall seconds per simulated day (day 1), baseline', value: base.ms / 1000, unit: 's/day' },
    {
      name: 'wall seconds per simulated day (day 1), both',
      value: (fano.ms + base.ms) / 1000,
      unit: 's/day',
      target: '≤ 4.3 s (30 s a week)',
      ok: fano.ms + base.ms <= 30_000 / DAYS,
    },
  ];
}
