import { effectiveWeights, quotaOptions } from '../config/core-options.js';
import type { FanoConfig } from '../config/schema.js';
import { CONSULTATION_MODULE } from '../core/consultation.js';
import { computeMetrics, type Backlogs, type Metrics } from '../core/metrics.js';
import { quotaView } from '../core/quota.js';
import { emptyBackendState, TASK_STATES, type FanoState, type TickInfo } from '../core/types.js';
import { enabledModules } from '../modules/index.js';
import { moduleProblems } from '../modules/problems.js';
import type { Problem } from '../core/problems.js';

/**
 * The status report: what `fano status` prints and `fano top` shows, built from the state and
 * the config alone, so both read the same facts.
 */

export interface StatusBackend {
  name: string;
  type: string;
  status: string;
  requestsThisHour: number;
  hourlyLimit: number;
  effectiveHourly: number;
  deepUsedToday: number;
  deepDailyLimit: number;
  rateLimitedUntil: string | null;
  /** While the hourly quota is used up: when the sliding hour frees the next request. */
  usedUpUntil: string | null;
  needsHuman: { reason: string; since: string } | null;
}

export interface StatusReport {
  home: string;
  paused: boolean;
  tasks: { total: number; byState: Record<string, number>; byModule: Record<string, number> };
  backends: StatusBackend[];
  lastTick: TickInfo | null;
  log: { checkpointSeq: number; pendingRecords: number };
  weights: Record<string, number>;
  weightsSource: string;
  /** The last consultation's reasoning and time (null while the weights come from config). */
  weightsReasoning: string | null;
  weightsAt: string | null;
  metrics: Metrics | Record<string, never>;
  /** What a person must fix in the files fano reads, each with file, line and the fix ([] when none). */
  problems: Problem[];
}

/**
 * The status facts from state + config. Pure but for `problems`: when not given, they are read from
 * the modules' files (a few small reads), so every reader of the report sees them.
 */
export function buildStatus(
  home: string,
  state: FanoState,
  config: FanoConfig,
  log: StatusReport['log'],
  lastTick: TickInfo | null,
  now: Date,
  backlogs?: Backlogs,
  problems?: Problem[],
): StatusReport {
  const byState: Record<string, number> = Object.fromEntries(TASK_STATES.map((s) => [s, 0]));
  const byModule: Record<string, number> = {};
  const tasks = Object.values(state.tasks);
  for (const t of tasks) {
    byState[t.state] = (byState[t.state] ?? 0) + 1;
    byModule[t.module] = (byModule[t.module] ?? 0) + 1;
  }
  const backends = Object.entries(config.backends)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, cfg]): StatusBackend => {
      const b = state.backends[name] ?? emptyBackendState();
      const v = quotaView(b, now, quotaOptions(config, cfg));
      return {
        name,
        type: cfg.type,
        status: cfg.enabled ? v.status : 'disabled',
        requestsThisHour: v.requestsThisHour,
        hourlyLimit: cfg.hourlyLimit,
        effectiveHourly: v.effectiveHourly,
        deepUsedToday: v.deepUsedToday,
        deepDailyLimit: v.deepDailyLimit,
        rateLimitedUntil: v.rateLimitedUntil,
        usedUpUntil: v.status === 'exhausted' ? v.nextFreeAt : null,
        needsHuman: b.needsHuman ? { reason: b.needsHuman.reason, since: b.needsHuman.since } : null,
      };
    });
  const consulted = state.meta.weights?.source === 'consultation' ? state.meta.weights.values : null;
  return {
    home,
    paused: state.meta.paused,
    tasks: { total: tasks.length, byState, byModule },
    backends,
    lastTick,
    log,
    // The consultation pseudo-module is bounded by its share of requests, not weighed against the modules.
    weights: effectiveWeights(
      config,
      enabledModules(config)
        .map((m) => m.module.name)
        .filter((m) => m !== CONSULTATION_MODULE)
        .concat(Object.keys(config.scheduler.weights)),
      consulted,
    ),
    weightsSource: consulted ? 'consultation' : 'config',
    weightsReasoning: consulted ? (state.meta.weights?.reasoning ?? null) : null,
    weightsAt: consulted ? (state.meta.weights?.at ?? null) : null,
    // Derived from the state each time (never separate counters that could drift).
    metrics: computeMetrics(state, now, backlogs ?? { blessedInsightsPending: 0, commentsPending: 0, seedsUnexplored: 0, sectionsDocumented: 0 }, {
      dayResetHour: config.quotas.dayResetHour,
    }),
    problems: problems ?? moduleProblems(home, state, config, now),
  };
}
