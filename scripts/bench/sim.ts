// The scheduler simulation benchmark: 7 simulated days, fano and the original design's baseline
// (src/sim/baseline.ts) side by side on the same world, plus the scheduler's pick time among 10,000 runnable
// tasks. Targets are checked here and printed by scripts/bench.ts, never asserted in tests.
import { claimTask, completeStep, createTask } from '../../src/core/lifecycle.js';
import { createScheduler, type BackendSlot } from '../../src/core/scheduler.js';
import { emptyBackendState } from '../../src/core/types.js';
import { PROPOSED, runSimulation, simConfig } from '../../src/sim/simulate.js';
import { defaultScenario } from '../../src/sim/scenario.js';
import { quotaOptions, schedulerOptions } from '../../src/config/core-options.js';
import type { BenchRow } from './types.js';

const DAYS = 7;
const SEED = 1;
const PICK_TASKS = 10_000;
const PICK_SAMPLES = 301;

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

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

export function benchSim(): BenchRow[] {
  const fano = timed(() => runSimulation({ days: DAYS, seed: SEED, algorithm: 'fano' }));
  const base = timed(() => runSimulation({ days: DAYS, seed: SEED, algorithm: 'baseline' }));
  const f = fano.value;
  const b = base.value;
  const ratio = b.tasksPerDay > 0 ? f.tasksPerDay / b.tasksPerDay : Number.POSITIVE_INFINITY;
  const prop = runSimulation({ days: DAYS, seed: SEED, algorithm: 'fano', ...PROPOSED });
  // The baseline's throughput depends on luck (when its limit collapses), so the ratio is also
  // given against its BEST of several seeds: the conservative reading of the gain.
  let bestBase = b.tasksPerDay;
  for (let seed = SEED + 1; seed <= SEED + 5; seed++) bestBase = Math.max(bestBase, runSimulation({ days: DAYS, seed, algorithm: 'baseline' }).tasksPerDay);
  // Stability: the goals must hold on other worlds too, not only on the bench's seed.
  const others = [f];
  for (let seed = SEED + 1; seed <= SEED + 5; seed++) others.push(runSimulation({ days: DAYS, seed, algorithm: 'fano' }));
  const worstCap = Math.min(...others.map((r) => r.capacityUsed));
  const worstWait = Math.max(...others.map((r) => r.longestWaitMin));
  const worstP95 = Math.max(...others.map((r) => r.commentLatencyP95Min));
  const worstHits = Math.max(...others.map((r) => r.rateLimitHitsPerBackendDayAfterDay1));
  const pickMs = benchPickMs();
  const rows: BenchRow[] = [
    { name: `${DAYS} simulated days, fano (wall)`, value: fano.ms / 1000, unit: 's', target: '≤ 30 s', ok: fano.ms <= 30_000 },
    { name: `${DAYS} simulated days, baseline (wall)`, value: base.ms / 1000, unit: 's' },
    { name: 'capacity used, fano', value: f.capacityUsed * 100, unit: '%', target: '≥ 95 %', ok: f.capacityUsed >= 0.95 },
    { name: 'capacity used, baseline', value: b.capacityUsed * 100, unit: '%' },
    { name: 'rate-limit hits/backend/day after day 1, fano', value: f.rateLimitHitsPerBackendDayAfterDay1, unit: 'hits', target: '≤ 1', ok: f.rateLimitHitsPerBackendDayAfterDay1 <= 1 },
    { name: 'rate-limit hits/backend/day after day 1, baseline', value: b.rateLimitHitsPerBackendDayAfterDay1, unit: 'hits' },
    { name: 'comment latency p95, fano', value: f.commentLatencyP95Min, unit: 'sim min', target: '≤ 15', ok: f.commentLatencyP95Min <= 15 },
    { name: 'comment latency p95, baseline', value: b.commentLatencyP95Min, unit: 'sim min' },
    { name: 'longest starvation (runnable task wait), fano', value: f.longestWaitMin, unit: 'sim min', target: '< 120', ok: f.longestWaitMin < 120 },
    { name: 'longest starvation (runnable task wait), baseline', value: b.longestWaitMin, unit: 'sim min' },
    { name: 'tasks/day, fano', value: f.tasksPerDay, unit: 'tasks' },
    { name: 'tasks/day, baseline', value: b.tasksPerDay, unit: 'tasks' },
    { name: 'tasks/day ratio fano/baseline', value: ratio, unit: '×', target: '≥ 2.5×', ok: ratio >= 2.5 },
    { name: `tasks/day ratio vs the best baseline of seeds ${SEED}-${SEED + 5}`, value: f.tasksPerDay / bestBase, unit: '×', target: '≥ 2.5×', ok: f.tasksPerDay / bestBase >= 2.5 },
    { name: `worst of seeds ${SEED}-${SEED + 5}, fano: capacity used`, value: worstCap * 100, unit: '%', target: '≥ 95 %', ok: worstCap >= 0.95 },
    { name: `worst of seeds ${SEED}-${SEED + 5}, fano: rate-limit hits/backend/day after day 1`, value: worstHits, unit: 'hits', target: '≤ 1', ok: worstHits <= 1 },
    { name: `worst of seeds ${SEED}-${SEED + 5}, fano: comment latency p95`, value: worstP95, unit: 'sim min', target: '≤ 15', ok: worstP95 <= 15 },
    { name: `worst of seeds ${SEED}-${SEED + 5}, fano: longest starvation`, value: worstWait, unit: 'sim min', target: '< 120', ok: worstWait < 120 },
    // What-if: the config the simulator suggests (PROPOSED in src/sim/simulate.ts).
    { name: 'what-if (starvation maxBoost 40): capacity used', value: prop.capacityUsed * 100, unit: '%', target: '≥ 95 %' },
    { name: 'what-if: rate-limit hits/backend/day after day 1', value: prop.rateLimitHitsPerBackendDayAfterDay1, unit: 'hits', target: '≤ 1' },
    { name: 'what-if: comment latency p95', value: prop.commentLatencyP95Min, unit: 'sim min', target: '≤ 15' },
    { name: 'what-if: longest starvation', value: prop.longestWaitMin, unit: 'sim min', target: '< 120' },
    { name: 'what-if: tasks/day ratio fano/baseline', value: b.tasksPerDay > 0 ? prop.tasksPerDay / b.tasksPerDay : 0, unit: '×', target: '≥ 2.5×' },
    { name: `scheduler pick among ${PICK_TASKS} runnable tasks (median)`, value: pickMs, unit: 'ms', target: '≤ 1 ms', ok: pickMs <= 1 },
  ];
  return rows;
}
