import type { FanoConfig } from '../config/schema.js';
import { CONSULTATION_MODULE, consultationStats } from '../core/consultation.js';
import type { Backlogs } from '../core/metrics.js';
import type { FanoState, JsonObject, Task } from '../core/types.js';
import { consultationModule, consultationOptions, consultationRequest } from '../modules/consultation/consultation-module.js';
import type { ModuleContext } from '../modules/module.js';
import { ModuleHost } from './module-host.js';
import { unitHash } from './scenario.js';
import type { SimModule } from './workload.js';

/**
 * The priority consultation on the simulator: the REAL consultation module (due rule, share cap,
 * parsing, weights as `meta.weights`) with a simulated consultant in place of the model. Only
 * `prepare` differs from the tick's: the real one reads the backlogs from the home's files, the
 * simulator hands the same prompt builder its modules' backlog figures.
 */

export interface ConsultantOptions {
  /** Share of answers that are malformed (the module must ignore them). */
  malformedRate: number;
  /**
   * The split the consultant starts from (the configured weights: the user's intent). Without a
   * fixed prior it would drift: in this workload a module's queue grows with its share (its
   * answers queue follow-ups), so "more weight where more is queued" would feed on itself.
   */
  prior: Record<string, number>;
}

const DEFAULT_MALFORMED_RATE = 0.1;

/** How strongly the queue tilts the prior: a module with twice the mean queue gets 1 + TILT times its prior weight. */
const TILT = 0.5;
/** The tilt is bounded to this factor either way, so one module's long queue cannot take everything. */
const MAX_FACTOR = 1.5;

interface ModuleLine {
  module: string;
  weight: number;
  queued: number;
}

/** The MODULES lines of the summary (`- explorer: weight 40, queued 5, ...`): all the consultant reads. */
export function readModuleLines(prompt: string): ModuleLine[] {
  const out: ModuleLine[] = [];
  for (const m of prompt.matchAll(/^- ([\w-]+): weight ([\d.]+), queued (\d+)/gm)) out.push({ module: m[1]!, weight: Number(m[2]), queued: Number(m[3]) });
  return out;
}

/** The ways a real model gets the format wrong: prose, cut-off JSON, a module that does not exist, no reasoning. */
export const MALFORMED: ReadonlyArray<(lines: ModuleLine[]) => string> = [
  (l) => `I would give ${l[0]?.module ?? 'the explorer'} a little more effort this hour.`,
  (l) => `{"weights": {${l.map((x) => `"${x.module}": ${x.weight}`).join(', ')}`,
  () => '{"weights": {"planner": 50}, "reasoning": "Planning is behind."}',
  (l) => JSON.stringify({ weights: Object.fromEntries(l.map((x) => [x.module, x.weight])) }),
];

/**
 * The simulated consultant's answer to a consultation prompt. Deterministic in (prompt, key):
 * whether it is malformed depends on a hash of the task's key, like the workload's outcomes. A
 * good answer does what the prompt asks, shifting effort to where work piles up: each module's
 * prior weight is scaled by how its queue compares with the mean queue (bounded by MAX_FACTOR),
 * so the advice follows the backlogs of the moment and returns to the prior when they even out.
 */
export function consultantAnswer(prompt: string, key: string, o: ConsultantOptions): string {
  const lines = readModuleLines(prompt);
  if (unitHash(`${key}:malformed`) < o.malformedRate) return MALFORMED[Math.floor(unitHash(`${key}:kind`) * MALFORMED.length)]!(lines);
  const mean = lines.reduce((a, l) => a + l.queued, 0) / Math.max(1, lines.length);
  const raw = lines.map((l) => {
    const factor = mean > 0 ? Math.min(MAX_FACTOR, Math.max(1 / MAX_FACTOR, 1 + (TILT * (l.queued - mean)) / mean)) : 1;
    return (o.prior[l.module] ?? l.weight) * factor;
  });
  const sum = raw.reduce((a, b) => a + b, 0) || 1;
  const weights: Record<string, number> = {};
  lines.forEach((l, i) => (weights[l.module] = Math.round((raw[i]! / sum) * 1000) / 10));
  const top = [...lines].sort((a, b) => b.queued - a.queued || a.module.localeCompare(b.module))[0];
  const reasoning = top ? `${top.module} has the most queued work (${top.queued}); shifting effort towards it.` : 'Nothing is queued.';
  return JSON.stringify({ weights, reasoning });
}

/**
 * The consultation module for the simulator. `backlogs` gives the figures the real `prepare`
 * reads from the home. The prompt is kept until the answer comes, because the consultant answers
 * what it was asked then, not the state at answer time.
 */
export function createSimConsultation(backlogs: () => Backlogs, o: ConsultantOptions): SimModule {
  const asked = new Map<string, string>();
  return {
    name: CONSULTATION_MODULE,
    backlog: () => ({}),
    discover: (ctx: ModuleContext) => consultationModule.discover(ctx),
    prepare(task: Readonly<Task>, ctx: ModuleContext) {
      const request = consultationRequest(ctx, backlogs());
      asked.set(task.key, request.prompt);
      return request;
    },
    onAnswer(task: Readonly<Task>, _answer: string, ctx: ModuleContext) {
      const prompt = asked.get(task.key) ?? '';
      asked.delete(task.key);
      return consultationModule.onAnswer(task, consultantAnswer(prompt, task.key, o), ctx);
    },
    handleFailure(task: Readonly<Task>, error: string, ctx: ModuleContext) {
      asked.delete(task.key);
      return consultationModule.handleFailure(task, error, ctx);
    },
  };
}

/**
 * fano's modules on the simulator: the sim modules, then the real consultation when the config
 * enables it, last and with the tick's options (src/modules/index.ts), weighing the modules before it.
 */
export function fanoModuleHost(config: FanoConfig, modules: readonly SimModule[], consultant: Partial<ConsultantOptions> = {}): ModuleHost {
  if (!config.scheduler.consultation.enabled) return new ModuleHost(modules);
  const o = { malformedRate: DEFAULT_MALFORMED_RATE, prior: config.scheduler.weights, ...consultant };
  const options = consultationOptions(config, modules.map((m) => m.name)) as JsonObject;
  return new ModuleHost([...modules, createSimConsultation(() => simBacklogs(modules), o)], { [CONSULTATION_MODULE]: options });
}

/**
 * The design's backlogs (what the tick's `prepare` reads from the home) from the sim modules'
 * figures. The sim's seed supply is endless, so "unexplored" is the explorations open.
 */
export function simBacklogs(modules: readonly SimModule[]): Backlogs {
  const b: Record<string, number> = {};
  for (const m of modules) Object.assign(b, m.backlog());
  return { blessedInsightsPending: b.blessedPending ?? 0, commentsPending: b.commentsOpen ?? 0, seedsUnexplored: b.explorationsOpen ?? 0, sectionsDocumented: 0 };
}

export interface SimConsultationReport {
  /** Consultation answers received (the share cap counts requests: consultationShare). */
  count: number;
  /** Answers that set the weights / malformed ones ignored. */
  applied: number;
  ignored: number;
  /** The weights the last good answer set (percent), null if none did. */
  lastWeights: Record<string, number> | null;
}

/** The consultations as the state records them (module data and meta.weights). */
export function consultationReport(state: Readonly<FanoState>): SimConsultationReport {
  const docs = Object.values(state.modules[CONSULTATION_MODULE]?.consultations ?? {}) as Array<{ applied?: boolean }>;
  const applied = docs.filter((d) => d.applied === true).length;
  const w = state.meta.weights;
  return { count: consultationStats(state).count, applied, ignored: docs.length - applied, lastWeights: w?.source === 'consultation' ? { ...w.values } : null };
}
