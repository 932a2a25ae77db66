import { ACTIVE_STATES, type FanoState, type Task } from './types.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './time.js';

/**
 * The design's 7.1 metrics, derived from the state every time they are shown: never kept as
 * separate counters, so they cannot drift from what actually happened. Pure: `now` is an
 * argument; module backlogs that need files (seeds) or module knowledge (derived insight status)
 * are computed by the caller and passed in.
 */

export interface Backlogs {
  blessedInsightsPending: number;
  commentsPending: number;
  seedsUnexplored: number;
  /** Sections of the living document (read from the file by the caller: metrics stay pure). */
  sectionsDocumented: number;
}

export interface BackendMetrics {
  llmRequestsTotal: number;
  llmRequestsLastHour: number;
  deepUsesToday: number;
  rateLimitHits24h: number;
}

export interface Metrics {
  /** `module:type` -> tasks completed in the last 24 h. */
  tasksCompleted24h: Record<string, number>;
  /** `module:type` -> tasks failed for good in the last 24 h. */
  tasksFailed24h: Record<string, number>;
  /** `module:type` -> mean minutes from creation to completion, over the completed tasks in the state. */
  avgTaskDurationMin: Record<string, number>;
  insightsGenerated24h: number;
  insightsTotal: number;
  sectionsDocumented: number;
  researchItems: { sources: number; findingsVerified: number; findingsUnverified: number; seedsProposed: number };
  backends: Record<string, BackendMetrics>;
  /** module -> tasks pending, paused or running. */
  queueDepth: Record<string, number>;
  oldestPendingTask: { key: string; since: string; waitingMin: number } | null;
  /** Paused conversations displaced by another task in the last 24 h (Task.preemptions, any state). */
  preemptions24h: number;
  backlogs: Omit<Backlogs, 'sectionsDocumented'>;
}

const typeKey = (t: Task) => `${t.module}:${t.type}`;
const within = (iso: string | null | undefined, fromMs: number) => typeof iso === 'string' && Date.parse(iso) >= fromMs;
const count = (coll: Record<string, unknown> | undefined, pred: (d: Record<string, unknown>) => boolean = () => true) =>
  Object.values(coll ?? {}).filter((d) => d !== null && typeof d === 'object' && pred(d as Record<string, unknown>)).length;
const sortKeys = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

export function computeMetrics(state: Readonly<FanoState>, now: Date, backlogs: Backlogs): Metrics {
  const nowMs = now.getTime();
  const dayAgo = nowMs - DAY_MS;
  const completed: Record<string, number> = {};
  const failed: Record<string, number> = {};
  const durations: Record<string, { sum: number; n: number }> = {};
  const queueDepth: Record<string, number> = {};
  let oldest: Task | null = null;
  let preemptions = 0;
  for (const t of Object.values(state.tasks)) {
    const k = typeKey(t);
    for (const p of t.preemptions ?? []) if (within(p.at, dayAgo)) preemptions += 1;
    if (t.state === 'completed') {
      if (within(t.finishedAt, dayAgo)) completed[k] = (completed[k] ?? 0) + 1;
      if (t.finishedAt !== null) {
        const d = (durations[k] ??= { sum: 0, n: 0 });
        d.sum += Math.max(0, Date.parse(t.finishedAt) - Date.parse(t.createdAt));
        d.n += 1;
      }
    } else if (t.state === 'failed' && within(t.finishedAt, dayAgo)) failed[k] = (failed[k] ?? 0) + 1;
    if (ACTIVE_STATES.has(t.state)) {
      queueDepth[t.module] = (queueDepth[t.module] ?? 0) + 1;
      // Ties broken by key so the same state always names the same task.
      if (t.state !== 'running' && (oldest === null || t.readyAt < oldest.readyAt || (t.readyAt === oldest.readyAt && t.key < oldest.key))) oldest = t;
    }
  }
  const avg: Record<string, number> = {};
  for (const [k, d] of Object.entries(durations)) avg[k] = Math.round((d.sum / d.n / MINUTE_MS) * 10) / 10;

  const backends: Record<string, BackendMetrics> = {};
  for (const [name, b] of Object.entries(state.backends).sort(([a], [c]) => a.localeCompare(c))) {
    backends[name] = {
      llmRequestsTotal: b.totalRequests,
      llmRequestsLastHour: b.recent.filter((r) => Date.parse(r) > nowMs - HOUR_MS).length,
      deepUsesToday: b.deepUsed,
      rateLimitHits24h: b.rateLimitHits.filter((r) => Date.parse(r) >= dayAgo).length,
    };
  }

  const explorer = state.modules.explorer ?? {};
  const researcher = state.modules.researcher ?? {};
  const insights = explorer.insights as Record<string, unknown> | undefined;
  const old = oldest as Task | null; // assigned in the loop above
  return {
    tasksCompleted24h: sortKeys(completed),
    tasksFailed24h: sortKeys(failed),
    avgTaskDurationMin: sortKeys(avg),
    insightsGenerated24h: count(insights, (d) => within(d.createdAt as string | undefined, dayAgo)),
    insightsTotal: count(insights),
    sectionsDocumented: backlogs.sectionsDocumented,
    researchItems: {
      sources: count(researcher.sources as Record<string, unknown> | undefined),
      findingsVerified: count(researcher.findings as Record<string, unknown> | undefined, (d) => d.verified === true),
      findingsUnverified: count(researcher.findings as Record<string, unknown> | undefined, (d) => d.verified === false),
      seedsProposed: count(researcher.proposedSeeds as Record<string, unknown> | undefined),
    },
    backends,
    queueDepth: sortKeys(queueDepth),
    oldestPendingTask: old ? { key: old.key, since: old.readyAt, waitingMin: Math.max(0, Math.round((nowMs - Date.parse(old.readyAt)) / MINUTE_MS)) } : null,
    preemptions24h: preemptions,
    backlogs: { blessedInsightsPending: backlogs.blessedInsightsPending, commentsPending: backlogs.commentsPending, seedsUnexplored: backlogs.seedsUnexplored },
  };
}

/** A few lines for the text status. */
export function formatMetrics(m: Metrics): string[] {
  const kv = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const lines = [
    `completed  24h: ${kv(m.tasksCompleted24h)}`,
    `failed     24h: ${kv(m.tasksFailed24h)}`,
    `avg time   (min, created → done): ${kv(m.avgTaskDurationMin)}`,
    `queue      ${kv(m.queueDepth)}${m.oldestPendingTask ? `; oldest ${m.oldestPendingTask.key} waiting ${m.oldestPendingTask.waitingMin} min` : ''}; ${m.preemptions24h} preemption(s) 24h`,
    `insights   ${m.insightsGenerated24h} in 24h, ${m.insightsTotal} total; sections documented ${m.sectionsDocumented}`,
    `research   ${m.researchItems.sources} source(s), ${m.researchItems.findingsVerified} verified / ${m.researchItems.findingsUnverified} unverified finding(s), ${m.researchItems.seedsProposed} seed(s) proposed`,
    `backlogs   blessed insights pending ${m.backlogs.blessedInsightsPending}, comments pending ${m.backlogs.commentsPending}, seeds unexplored ${m.backlogs.seedsUnexplored}`,
  ];
  for (const [name, b] of Object.entries(m.backends)) {
    lines.push(`llm        ${name}: ${b.llmRequestsTotal} request(s) total, ${b.llmRequestsLastHour} last hour, ${b.deepUsesToday} deep today, ${b.rateLimitHits24h} rate limit hit(s) 24h`);
  }
  return lines;
}
