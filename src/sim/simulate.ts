import type { z } from 'zod';
import { configSchema, type FanoConfig } from '../config/schema.js';
import type { FanoEvent } from '../core/events.js';
import type { JsonObject } from '../core/types.js';
import { backlogOptions } from '../modules/backlogs.js';
import { blessedInsights } from '../modules/explorer/index.js';
import { enabledModules, mockResponders } from '../modules/index.js';
import type { Module } from '../modules/module.js';
import { createMemoryStore, type MemoryStore } from '../store/memory-store.js';
import { BaselineDriver } from './baseline.js';
import { consultationReport, type ConsultantOptions, type SimConsultationReport } from './consultant.js';
import { RUN_TICK_MODEL, runEngine, type TickModel } from './engine.js';
import { runFano } from './fano-run.js';
import { SimMetrics, buildReport, type SimAlgoReport } from './metrics.js';
import { ModuleHost } from './module-host.js';
import { SimPerson } from './person.js';
import { defaultScenario, namedScenario, SIM_EPOCH_MS, type ScenarioName, type SimScenario } from './scenario.js';
import { initSimHome } from './sim-home.js';
import { makeSimHome, removeSimHome } from './temp-home.js';
import { World, buildSchedule } from './world.js';
import { MINUTE_MS } from '../core/time.js';

/**
 * `runSimulation`: days of fano (the real tick loop and modules: fano-run.ts) or of the original
 * design's baseline (baseline.ts, on the same modules) against fake backends with hidden limits and
 * a simulated person, on a virtual clock, in a temporary home. Deterministic: the same options
 * give the same report, byte for byte.
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
  /** The baseline's tick design (default: the original design's, without discovery after each answer). */
  tickModel?: Partial<TickModel>;
  /** How the simulated consultant answers (tests force good or malformed answers). */
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

/** The config both algorithms read: the shipped defaults (tasks archived after a day), the scenario's backends, the overrides. */
export function simConfig(scenario: SimScenario, overrides: SimConfigInput = {}): FanoConfig {
  const backends: Record<string, unknown> = {};
  for (const b of scenario.backends) {
    backends[b.name] = { type: 'mock', hourlyLimit: b.configuredHourly, deepDailyLimit: b.configuredDeepDaily };
  }
  // Finished tasks leave the state after a day (the shipped default is a week): nothing the
  // modules or the scheduler read goes further back, and every discovery scans the tasks.
  return configSchema.parse({ ...overrides, state: { archiveAfterDays: 1, ...overrides.state }, backends });
}

export async function runSimulation(opts: SimulationOptions): Promise<SimReport> {
  if (!Number.isInteger(opts.days) || opts.days < 1) throw new RangeError('days must be a whole number ≥ 1');
  if (!Number.isInteger(opts.seed)) throw new RangeError('seed must be an integer');
  const scenario = opts.scenario ?? { ...defaultScenario(), name: 'steady' };
  const config = simConfig(scenario, opts.config);
  const schedule = buildSchedule(scenario, opts.seed, opts.days);
  const world = new World(scenario, schedule, opts.seed);
  const home = makeSimHome();
  try {
    let metrics: SimMetrics;
    let person: SimPerson;
    let store: MemoryStore;
    if (opts.algorithm === 'fano') {
      ({ metrics, person, store } = await runFano({ home, config, world, days: opts.days, seed: opts.seed, consultant: opts.consultant }));
    } else {
      ({ metrics, person, store } = await runBaseline(home, config, world, opts));
    }
    const weights = followedWeights(config, store);
    const blessed = blessedInsights(store.state, backlogOptions(config)).length;
    const report = buildReport(metrics, world, person, blessed, opts.days, weights);
    const notes = opts.algorithm === 'fano' ? fanoNotes(config) : [];
    const consultation = opts.algorithm === 'fano' ? { consultation: consultationReport(store.state) } : {};
    return { algorithm: opts.algorithm, scenario: scenario.name ?? 'custom', days: opts.days, seed: opts.seed, ...report, notes, ...consultation };
  } finally {
    removeSimHome(home);
  }
}

/** The module weights in force at the end (a consultation's, once one applied). */
function followedWeights(config: FanoConfig, store: MemoryStore): Record<string, number> {
  const w = store.state.meta.weights;
  const names = enabledModules(config)
    .map((m) => m.module.name)
    .filter((m) => m !== 'consultation');
  const source = w?.source === 'consultation' ? w.values : config.scheduler.weights;
  return Object.fromEntries(names.map((m) => [m, source[m] ?? 0]));
}

function fanoNotes(config: FanoConfig): string[] {
  const out = [
    'fano: the real tick loop (runSlice) and the enabled modules with their seeded mock answers; only the backends, the person and the clock are simulated',
  ];
  out.push(
    config.scheduler.consultation.enabled
      ? 'consultation: the real module; a simulated consultant answers, tilting the configured weights towards the longest queues, now and then malformed (src/sim/consultant.ts)'
      : 'consultation: disabled in config',
  );
  return out;
}

/** The original design's algorithm on the same world, person and modules (sim/baseline.ts). */
async function runBaseline(
  home: string,
  config: FanoConfig,
  world: World,
  opts: SimulationOptions,
): Promise<{ metrics: SimMetrics; person: SimPerson; store: MemoryStore }> {
  let nowMs = SIM_EPOCH_MS;
  const store = createMemoryStore({ home, now: () => new Date(nowMs), keepRecords: false });
  const person = new SimPerson(home, world.schedule);
  initSimHome(home, person.firstSeeds());
  observeStore(store, person);
  const metrics = new SimMetrics(world.names);
  // The baseline has its own hourly placeholder consultation: fano's module is left out.
  const modules = enabledModules(config).filter((m) => m.module.name !== 'consultation') as Array<{ module: Module; options: JsonObject }>;
  const host = new ModuleHost(store, home, modules);
  const driver = new BaselineDriver(host, metrics, {
    backends: world.scenario.backends.map((b) => ({ name: b.name, hourlyLimit: b.configuredHourly, deepDailyLimit: b.configuredDeepDaily })),
    defaultRetryAfterMs: config.quotas.backoffMinutes * MINUTE_MS,
    consultationIntervalMs: config.scheduler.consultation.intervalMinutes * MINUTE_MS,
    responders: mockResponders,
    seed: opts.seed,
    backlog: backlogOptions(config),
  });
  // The baseline keeps the original design's tick (no discovery after each answer).
  const model = { ...RUN_TICK_MODEL, rediscoverSeconds: config.tick.rediscoverSeconds, discoverAfterAnswer: false, ...opts.tickModel };
  await runEngine(world, driver, metrics, opts.days, config.tick, model, (t) => {
    nowMs = t;
    person.act(t, () => {}, true);
  });
  person.checkComments(SIM_EPOCH_MS + opts.days * 86_400_000);
  return { metrics, person, store };
}

/** The person learns from the state's events what fano (or the baseline) finished. */
export function observeStore(store: MemoryStore, person: SimPerson): void {
  const append = store.append.bind(store);
  store.append = (events: FanoEvent[], at: Date) => {
    const r = append(events, at);
    person.observe(events, at.getTime());
    return r;
  };
}

export interface SimComparison {
  days: number;
  seed: number;
  fano: SimReport;
  baseline: SimReport;
  /** fano tasks/day ÷ baseline tasks/day. */
  tasksPerDayRatio: number;
  wallMs: number;
}

/** Both algorithms on the same world, person and modules: what `fano simulate` prints. */
export async function compareAlgorithms(
  days: number,
  seed: number,
  config?: SimConfigInput,
  clock: () => number = () => performance.now(),
  scenarioName: ScenarioName | SimScenario = 'steady',
): Promise<SimComparison> {
  const t0 = clock();
  const scenario = () => (typeof scenarioName === 'string' ? namedScenario(scenarioName) : scenarioName);
  const fano = await runSimulation({ days, seed, algorithm: 'fano', config, scenario: scenario() });
  const baseline = await runSimulation({ days, seed, algorithm: 'baseline', config, scenario: scenario() });
  const ratio = baseline.tasksPerDay > 0 ? fano.tasksPerDay / baseline.tasksPerDay : Infinity;
  return { days, seed, fano, baseline, tasksPerDayRatio: Math.round(ratio * 100) / 100, wallMs: Math.round(clock() - t0) };
}
