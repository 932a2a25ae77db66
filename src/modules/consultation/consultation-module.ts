import { backlogOptions, moduleBacklogs, type BacklogOptions } from '../backlogs.js';
import type { FanoConfig } from '../../config/schema.js';
import type { FanoEvent } from '../../core/events.js';
import {
  CONSULTATION_MODULE,
  consultationDue,
  consultationPrompt,
  consultationStats,
  consultationSummary,
  parseWeights,
  weightsInfo,
  type ConsultationOptions,
} from '../../core/consultation.js';
import { computeMetrics, type Backlogs } from '../../core/metrics.js';
import { type FanoState, type Json, type JsonObject, type Task } from '../../core/types.js';
import { activeTasks } from '../../core/versions.js';
import type { Module, ModuleContext, StepOutcome, StepRequest, TaskSpec } from '../module.js';
import { HOUR_MS, MINUTE_MS } from '../../core/time.js';

/**
 * The priority consultation (core/consultation.ts) as a task of its own pseudo-module: at most every
 * intervalMinutes (or after significantChangeThreshold completions), within maxShare of all
 * requests, one LLM request sees a compact summary of the system and answers module weights.
 * A good answer becomes `meta.weights` (source 'consultation', which the scheduler prefers); a
 * bad one keeps the current weights and is recorded (collection `consultations`) and logged by the
 * tick as `scheduler.priority_consultation` with `applied: false`. Either way it counts towards
 * the share cap, because it cost a request.
 */

/** Added to the base priority: a due consultation goes before ordinary work (it is rare and cheap). */
const CONSULTATION_PRIORITY = 30;

interface Opts {
  consultation: ConsultationOptions;
  modules: string[];
  weights: Record<string, number>;
  backends: Record<string, { hourlyLimit: number }>;
  backlog: BacklogOptions;
}

/**
 * The module's options from the config, for the modules it weighs (the ones enabled before it).
 * One builder for the tick (src/modules/index.ts) and the simulator, so both consult alike.
 */
export function consultationOptions(config: FanoConfig, modules: string[]): Record<string, unknown> {
  const backends = Object.fromEntries(
    Object.entries(config.backends)
      .filter(([, b]) => b.enabled)
      .map(([name, b]) => [name, { hourlyLimit: b.hourlyLimit }]),
  );
  return { consultation: config.scheduler.consultation, modules, weights: config.scheduler.weights, backends, backlog: { ...backlogOptions(config) } };
}

function opts(o: JsonObject): Opts {
  const c = (o.consultation ?? {}) as Record<string, unknown>;
  return {
    consultation: {
      enabled: c.enabled !== false,
      intervalMs: Number(c.intervalMinutes ?? 60) * MINUTE_MS,
      onSignificantChange: c.onSignificantChange !== false,
      significantChangeThreshold: Number(c.significantChangeThreshold ?? 50),
      maxShare: Number(c.maxShare ?? 0.05),
    },
    modules: Array.isArray(o.modules) ? o.modules.map(String) : [],
    weights: (o.weights ?? {}) as Record<string, number>,
    backends: (o.backends ?? {}) as Record<string, { hourlyLimit: number }>,
    backlog: {
      secondRound: (o.backlog as JsonObject | undefined)?.secondRound !== false,
      maxAttempts: Number((o.backlog as JsonObject | undefined)?.maxAttempts ?? 2),
    },
  };
}

/** The weights in force: the last consultation's, else the configured ones. */
function currentWeights(state: Readonly<FanoState>, o: Opts): Record<string, number> {
  const base = state.meta.weights?.source === 'consultation' ? { ...o.weights, ...state.meta.weights.values } : o.weights;
  return Object.fromEntries(o.modules.map((m) => [m, base[m] ?? 0]));
}

const put = (collection: string, id: string, doc: Json): FanoEvent => ({ type: 'module.put', module: CONSULTATION_MODULE, collection, id, doc });

/**
 * The consultation prompt from the state and the module backlogs. Split from `prepare`, which
 * reads the backlogs from the home's files, so the simulator (which has no home) builds the very
 * same prompt from its own backlogs.
 */
export function consultationRequest(ctx: ModuleContext, pending: Backlogs): StepRequest {
  const o = opts(ctx.options);
  const { state, now } = ctx;
  const b = computeMetrics(state, now, pending);
  const backends = Object.keys(o.backends)
    .sort()
    .map((name) => {
      const s = state.backends[name];
      const hour = s ? s.recent.filter((r) => Date.parse(r) > now.getTime() - HOUR_MS).length : 0;
      const limited = s?.rateLimitedUntil && Date.parse(s.rateLimitedUntil) > now.getTime() ? `, rate-limited until ${s.rateLimitedUntil}` : '';
      return `${name} ${hour}/${o.backends[name]!.hourlyLimit} this hour${limited}`;
    });
  const { sectionsDocumented: _sections, ...backlogCounts } = pending;
  const backlogs = { ...b.queueDepth, ...backlogCounts };
  const summary = consultationSummary(state, now, { modules: o.modules, current: currentWeights(state, o), backends, backlogs });
  return { prompt: consultationPrompt(summary, o.modules), deep: false };
}

export const consultationModule: Module = {
  name: CONSULTATION_MODULE,

  // Reads no files: only the state and the clock decide.
  discoveryInputs: () => [],

  nextDiscoveryAt(ctx: ModuleContext): Date | null {
    const o = opts(ctx.options);
    if (!o.consultation.enabled) return null;
    const last = consultationStats(ctx.state).lastAt;
    return last === null ? null : new Date(Date.parse(last) + o.consultation.intervalMs);
  },

  discover(ctx: ModuleContext): TaskSpec[] {
    const o = opts(ctx.options);
    if (o.modules.length === 0) return [];
    if (activeTasks(ctx.state).some((t) => t.module === CONSULTATION_MODULE)) return []; // one at a time
    if (!consultationDue(ctx.state, ctx.now, o.consultation).due) return [];
    // The running number makes every consultation its own unit of work (its own key); a failed
    // one counts too, or the next would have its key and never be queued (keys are never reused).
    const stats = consultationStats(ctx.state);
    return [{ module: CONSULTATION_MODULE, type: 'consultation', context: { n: stats.count + stats.failed + 1 }, priority: CONSULTATION_PRIORITY }];
  },

  prepare(_task: Readonly<Task>, ctx: ModuleContext): StepRequest {
    // The backlogs the design's consultation weighs (blessed insights waiting for the document,
    // open comments, unexplored seeds), read like `fano status` reads them.
    return consultationRequest(ctx, moduleBacklogs(ctx.home, ctx.state, opts(ctx.options).backlog));
  },

  onAnswer(task: Readonly<Task>, answer: string, ctx: ModuleContext): StepOutcome {
    const o = opts(ctx.options);
    const at = ctx.now.toISOString();
    const stats = consultationStats(ctx.state);
    const parsed = parseWeights(answer, o.modules, currentWeights(ctx.state, o));
    const events: FanoEvent[] = [put('stats', 'main', { count: stats.count + 1, failed: stats.failed, lastAt: at })];
    const n = String((task.context.n as number | undefined) ?? stats.count + stats.failed + 1);
    if (parsed.ok) {
      events.push({ type: 'meta.put', key: 'weights', value: weightsInfo(parsed.values, parsed.reasoning, ctx.now) });
      events.push(put('consultations', n, { at, applied: true, values: parsed.values, reasoning: parsed.reasoning, error: null, raw: null }));
      return { done: true, data: task.data, result: { applied: true, values: parsed.values, reasoning: parsed.reasoning }, events };
    }
    // A bad answer changes nothing but is kept (raw, capped) so a person can see why.
    events.push(put('consultations', n, { at, applied: false, values: null, reasoning: null, error: parsed.error, raw: answer.slice(0, 2000) }));
    return { done: true, data: task.data, result: { applied: false, error: parsed.error }, events };
  },

  handleFailure(_task: Readonly<Task>, _error: string, ctx: ModuleContext): FanoEvent[] {
    // The failed attempt still moves lastAt on, so a broken backend is not asked every tick.
    const stats = consultationStats(ctx.state);
    return [put('stats', 'main', { count: stats.count, failed: stats.failed + 1, lastAt: ctx.now.toISOString() })];
  },
};
