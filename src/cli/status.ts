import { loadConfig } from '../config/load.js';
import { CONSULTATION_MODULE } from '../core/consultation.js';
import { quotaView } from '../core/quota.js';
import { emptyBackendState, TASK_STATES, type FanoState, type TickInfo } from '../core/types.js';
import type { FanoConfig } from '../config/schema.js';
import { readState } from '../store/store.js';
import { effectiveWeights, quotaOptions } from '../config/core-options.js';
import { readLastTick } from '../tick/runs.js';
import { enabledModules } from '../modules/index.js';
import { computeMetrics, formatMetrics, type Backlogs, type Metrics } from '../core/metrics.js';
import { backlogOptions, moduleBacklogs } from '../modules/backlogs.js';

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
}

/** Pure: the status facts from state + config (also used by `fano top`). */
export function buildStatus(home: string, state: FanoState, config: FanoConfig, log: StatusReport['log'], lastTick: TickInfo | null, now: Date, backlogs?: Backlogs): StatusReport {
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
    weights: effectiveWeights(config, enabledModules(config).map((m) => m.module.name).filter((m) => m !== CONSULTATION_MODULE).concat(Object.keys(config.scheduler.weights)), consulted),
    weightsSource: consulted ? 'consultation' : 'config',
    weightsReasoning: consulted ? (state.meta.weights?.reasoning ?? null) : null,
    weightsAt: consulted ? (state.meta.weights?.at ?? null) : null,
    // Derived from the state each time (never separate counters that could drift).
    metrics: computeMetrics(state, now, backlogs ?? { blessedInsightsPending: 0, commentsPending: 0, seedsUnexplored: 0, sectionsDocumented: 0 }),
  };
}

export async function runStatus(opts: { home: string; json: boolean; out: (s: string) => void }): Promise<number> {
  const { config } = await loadConfig(opts.home);
  // Lock-free: status must answer while a tick runs, and never repairs or writes.
  const { state, checkpointSeq, pendingRecords } = await readState(opts.home);
  const r = buildStatus(opts.home, state, config, { checkpointSeq, pendingRecords }, readLastTick(opts.home), new Date(), moduleBacklogs(opts.home, state, backlogOptions(config)));
  opts.out(opts.json ? JSON.stringify(r, null, 2) : formatStatus(r));
  return 0;
}

export function formatStatus(r: StatusReport): string {
  const lines: string[] = [];
  lines.push(`fano home ${r.home}${r.paused ? '   [PAUSED: ticks do no LLM work]' : ''}`);
  const t = r.lastTick;
  lines.push(t ? `last tick  ${t.id}  ${t.outcome}  started ${t.startedAt}  ${t.steps} step(s)${t.error ? `  error: ${t.error}` : ''}` : 'last tick  never (run `fano tick`)');
  lines.push('');
  lines.push(`tasks      ${r.tasks.total} total: ` + Object.entries(r.tasks.byState).map(([s, n]) => `${n} ${s}`).join(', '));
  for (const [m, n] of Object.entries(r.tasks.byModule).sort()) lines.push(`           ${m.padEnd(12)} ${n}`);
  lines.push('');
  lines.push('backend      type     status       hour used/limit (learned)  deep today  limited until');
  for (const b of r.backends) {
    const learned = b.effectiveHourly !== b.hourlyLimit ? ` (${b.effectiveHourly})` : '';
    lines.push(
      `${b.name.padEnd(12)} ${b.type.padEnd(8)} ${b.status.padEnd(12)} ${`${b.requestsThisHour}/${b.hourlyLimit}${learned}`.padEnd(26)} ${`${b.deepUsedToday}/${b.deepDailyLimit}`.padEnd(11)} ${b.rateLimitedUntil ?? '-'}`,
    );
    if (b.needsHuman) lines.push(`             needs a person: ${b.needsHuman.reason} (since ${b.needsHuman.since}); fix it with \`fano login ${b.name}\``);
  }
  lines.push('');
  lines.push(`weights    ${Object.entries(r.weights).map(([m, w]) => `${m} ${Math.round(w * 10) / 10}`).join(', ')} (from ${r.weightsSource})`);
  if (r.weightsReasoning) lines.push(`           consulted ${r.weightsAt ?? ''}: ${r.weightsReasoning}`);
  if ('backlogs' in r.metrics) {
    lines.push('');
    lines.push(...formatMetrics(r.metrics as Metrics));
  }
  lines.push(`log        checkpoint seq ${r.log.checkpointSeq}, ${r.log.pendingRecords} record(s) pending`);
  return lines.join('\n');
}
