import type { z } from 'zod';
import { configSchema, type FanoConfig } from '../config/schema.js';
import { mulberry32 } from '../core/rng.js';
import { BaselineDriver } from './baseline.js';
import { consultationReport, fanoModuleHost, type ConsultantOptions, type SimConsultationReport } from './consultant.js';
import { RUN_TICK_MODEL, runEngine, type SimDriver, type TickModel } from './engine.js';
import { FanoDriver } from './fano-driver.js';
import { SimMetrics, buildReport, type SimAlgoReport } from './metrics.js';
import { ModuleHost } from './module-host.js';
import { defaultScenario, namedScenario, type ScenarioName, type SimScenario } from './scenario.js';
import { World, buildSchedule } from './world.js';
import { createSimModules, newBoard } from './workload.js';
import { MINUTE_MS } from '../core/time.js';

/**
 * `runSimulation`: days of fano (or of the original design's baseline, baseline.ts) against fake
 * backends with hidden limits, on a virtual clock. Deterministic: the same options give the same
 * report, byte for byte.
 */

export type SimAlgorithm = 'fano' | 'baseline';

/** Config overrides in fano.config.yaml's shape (validated by the real schema). `backends` come from the scenario. */
export type SimConfigInput = Omit<Partial<z.input<typeof configSchema>>, 'backends'>;

export interface SimulationOptions {
  days: number;
  seed: number;
  algorithm: SimAlgorithm;
  config?: SimConfigInput;
  /** Replaces the default world (tests use smaller ones). */
  scenario?: SimScenario;
  /** Tick design to simulate (default: what src/tick/run-tick.ts does). */
  tickModel?: Partial<TickModel>;
  /** How the simulated consultant answers (fano only; tests force good or malformed answers). */
  consultant?: Partial<ConsultantOptions>;
}

export interface SimReport extends SimAlgoReport {
  algorithm: SimAlgorithm;
  /** The world's name (`--scenario`; 'custom' for a test's own world). */
  scenario: string;
  days: number;
  seed: number;
  /** Notes on what the numbers mean (placeholders, charitable readings). */
  notes: string[];
  /** fano only: the priority consultations the run made, as its state recorded them. */
  consultation?: SimConsultationReport;
}

/** The config both algorithms read: the shipped defaults, the scenario's backends, the overrides. */
export function simConfig(scenario: SimScenario, overrides: SimConfigInput = {}): FanoConfig {
  const backends: Record<string, unknown> = {};
  for (const b of scenario.backends) {
    backends[b.name] = { type: 'mock', hourlyLimit: b.configuredHourly, deepDailyLimit: b.configuredDeepDaily };
  }
  return configSchema.parse({ ...overrides, backends });
}

export function runSimulation(opts: SimulationOptions): SimReport {
  if (!Number.isInteger(opts.days) || opts.days < 1) throw new RangeError('days must be a whole number ≥ 1');
  if (!Number.isInteger(opts.seed)) throw new RangeError('seed must be an integer');
  const scenario = opts.scenario ?? { ...defaultScenario(), name: 'steady' };
  const config = simConfig(scenario, opts.config);
  const schedule = buildSchedule(scenario, opts.seed, opts.days);
  const world = new World(scenario, schedule, opts.seed);
  const board = newBoard(schedule);
  const modules = createSimModules(board);
  const metrics = new SimMetrics(world.names);
  const consultationIntervalMs = config.scheduler.consultation.intervalMinutes * MINUTE_MS;
  let driver: SimDriver & { notes?: () => string[] };
  let host: ModuleHost;
  let fano: FanoDriver | null = null;
  if (opts.algorithm === 'fano') {
    host = fanoModuleHost(config, modules, opts.consultant);
    driver = fano = new FanoDriver(host, metrics, config, mulberry32(opts.seed ^ 0xfa40));
  } else {
    host = new ModuleHost(modules);
    driver = new BaselineDriver(host, metrics, {
      backends: scenario.backends.map((b) => ({ name: b.name, hourlyLimit: b.configuredHourly, deepDailyLimit: b.configuredDeepDaily })),
      defaultRetryAfterMs: config.quotas.backoffMinutes * MINUTE_MS,
      consultationIntervalMs,
    });
  }
  // The tick's own knob (tick.rediscoverSeconds) is honoured like the real tick does; a test's
  // tickModel overrides it.
  // The baseline keeps the original design's tick (no discovery after each answer): its figures stay comparable.
  const model = { ...RUN_TICK_MODEL, rediscoverSeconds: config.tick.rediscoverSeconds, ...(opts.algorithm === 'baseline' ? { discoverAfterAnswer: false } : {}), ...opts.tickModel };
  runEngine(world, driver, metrics, opts.days, config.tick, model);
  const report = buildReport(metrics, world, board, opts.days, fano ? fano.followedWeights() : config.scheduler.weights);
  const consultation = fano ? { consultation: consultationReport(host.state) } : {};
  return { algorithm: opts.algorithm, scenario: scenario.name ?? 'custom', days: opts.days, seed: opts.seed, ...report, notes: driver.notes?.() ?? [], ...consultation };
}

/**
 * What the simulator suggests beyond today's defaults (the bench prints it as "what-if"): a
 * starvation cap of 40 instead of 20, so aging at 20/h keeps ordering by age for two hours
 * instead of one. On the default world this moves the longest wait from about 82–109 to about
 * 82–89 minutes over seeds 1–6 at the same capacity. The default is the config's call.
 */
export const PROPOSED: { tickModel: Partial<TickModel>; config: SimConfigInput } = {
  tickModel: {},
  config: { scheduler: { starvation: { maxBoost: 40 } } },
};

export interface SimComparison {
  days: number;
  seed: number;
  fano: SimReport;
  baseline: SimReport;
  /** fano tasks/day ÷ baseline tasks/day. */
  tasksPerDayRatio: number;
  wallMs: number;
}

/** Both algorithms on the same world and workload: what `fano simulate` prints. */
export function compareAlgorithms(
  days: number,
  seed: number,
  config?: SimConfigInput,
  clock: () => number = () => performance.now(),
  scenarioName: ScenarioName = 'steady',
): SimComparison {
  const t0 = clock();
  const fano = runSimulation({ days, seed, algorithm: 'fano', config, scenario: namedScenario(scenarioName) });
  const baseline = runSimulation({ days, seed, algorithm: 'baseline', config, scenario: namedScenario(scenarioName) });
  const ratio = baseline.tasksPerDay > 0 ? fano.tasksPerDay / baseline.tasksPerDay : Infinity;
  return { days, seed, fano, baseline, tasksPerDayRatio: Math.round(ratio * 100) / 100, wallMs: Math.round(clock() - t0) };
}
