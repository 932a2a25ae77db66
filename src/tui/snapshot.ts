import type { FanoConfig } from '../config/schema.js';
import { buildStatus } from '../status/status-report.js';
import { explainPriority, type PriorityBreakdown } from '../core/priority.js';
import type { Problem } from '../core/problems.js';
import type { FanoState, TickInfo } from '../core/types.js';
import { moduleProblems } from '../modules/problems.js';
import { readState } from '../store/store.js';
import { schedulerOptions } from '../config/core-options.js';
import { readLastTick } from '../tick/runs.js';
import type { TopSnapshot } from './model.js';

/** What `fano top` and `fano tasks` read: no React here, so `fano tasks` never loads Ink. */
export interface TopData {
  state: FanoState;
  lastTick: TickInfo | null;
  log: { checkpointSeq: number; pendingRecords: number };
  /** Read with the state (not on every clock redraw): the files a person must fix. */
  problems: Problem[];
}

/** Lock-free read of everything top shows (the same read `fano status` does). */
export async function readTopData(home: string, config: FanoConfig, now: Date = new Date()): Promise<TopData> {
  const { state, checkpointSeq, pendingRecords } = await readState(home);
  return { state, lastTick: readLastTick(home), log: { checkpointSeq, pendingRecords }, problems: moduleProblems(home, state, config, now) };
}

/** Pure: the dashboard snapshot for `now`. */
export function buildSnapshot(home: string, config: FanoConfig, data: TopData, now: Date): TopSnapshot {
  const status = buildStatus(home, data.state, config, data.log, data.lastTick, now, undefined, data.problems);
  const opts = schedulerOptions(config, status.weights);
  const priorities: Record<string, PriorityBreakdown> = {};
  for (const t of Object.values(data.state.tasks)) priorities[t.key] = explainPriority(t, {}, now, opts);
  return { status, state: data.state, intervalSeconds: config.tick.intervalSeconds, priorities, now };
}
