import { ACTIVE_STATES, type FanoState, type Task } from './types.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './time.js';
import { deepUsedToday, requestsLast24h } from './quota.js';

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
  /** Requests started in the last 24 h, to the hour (BackendState.requestsByHour). */
  llmRequests24h: number;
  /** Deep uses in the current quota day (`quotas.dayResetHour`): 0 once the day rolls over. */
  deepUsesToday: number;
  rateLimitHits24h: number;
}

/** What the metrics need from the config (core takes plain options). */
export interface MetricsOptions {
  /** quotas.dayResetHour: when the deep-mode day rolls over (UTC hour). */
  dayResetHour: number;
}

export interface Metrics {
  /** `module:type` -> tasks completed in the last 24 h. */
  tasksCompleted24h: Record<string, number>;
  /** `module:type` -> tasks failed for good in the last 24 h. */
  tasksFailed24h: Record<string, number>;
  /**
   * `module:type` -> mean minutes a task ran (its steps, claim to answer), over the tasks completed
   * in the last 24 h: queue waiting excluded. Tasks from before run times were kept are left out.
   */
  avgTaskDurationMin: Record<string, number>;
  /** `module:type` -> mean minutes those tasks waited: creation to completion minus the running. */
  avgQueueWaitMin: Record<string, number>;
  insightsGenerated24h: number;
  insightsTotal: number;
  /** Sections of the document now (read from the file). */
  sectionsDocumented: number;
  /** Sections fano wrote or changed in the last 24 h (applied Documenter patches, distinct sections). */
  sectionsDocumented24h: number;
  researchItems: { sources: number; findingsVerified: number; findingsUnverified: number; seedsProposed: number };
  /** Research items of the last 24 h: sources evaluated, findings extracted, seeds proposed. */
  researchItems24h: { sourcesEvaluated: number; findings: number; seedsProposed: number; total: number };
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

export function computeMetrics(state: Readonly<FanoState>, now: Date, backlogs: Backlogs, opts: MetricsOptions = { dayResetHour: 0 }): Metrics {
  const nowMs = now.getTime();
  const dayAgo = nowMs - DAY_MS;
  const completed: Record<string, number> = {};
  const failed: Record<string, number> = {};
  const durations: Record<string, { run: number; wait: number; n: number }> = {};
  const queueDepth: Record<string, number> = {};
  let oldest: Task | null = null;
  let preemptions = 0;
  for (const t of Object.values(state.tasks)) {
    const k = typeKey(t);
    for (const p of t.preemptions ?? []) if (within(p.at, dayAgo)) preemptions += 1;
    if (t.state === 'completed' && within(t.finishedAt, dayAgo)) {
      completed[k] = (completed[k] ?? 0) + 1;
      if (t.runMs !== undefined) {
        const d = (durations[k] ??= { run: 0, wait: 0, n: 0 });
        d.run += t.runMs;
        d.wait += Math.max(0, Date.parse(t.finishedAt!) - Date.parse(t.createdAt) - t.runMs);
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
  const wait: Record<string, number> = {};
  const minutes = (ms: number, n: number) => Math.round((ms / n / MINUTE_MS) * 10) / 10;
  for (const [k, d] of Object.entries(durations)) {
    avg[k] = minutes(d.run, d.n);
    wait[k] = minutes(d.wait, d.n);
  }

  const backends: Record<string, BackendMetrics> = {};
  for (const [name, b] of Object.entries(state.backends).sort(([a], [c]) => a.localeCompare(c))) {
    backends[name] = {
      llmRequestsTotal: b.totalRequests,
      llmRequestsLastHour: b.recent.filter((r) => Date.parse(r) > nowMs - HOUR_MS).length,
      llmRequests24h: requestsLast24h(b, now),
      deepUsesToday: deepUsedToday(b, now, opts.dayResetHour),
      rateLimitHits24h: b.rateLimitHits.filter((r) => Date.parse(r) >= dayAgo).length,
    };
  }

  const explorer = state.modules.explorer ?? {};
  const researcher = state.modules.researcher ?? {};
  const insights = explorer.insights as Record<string, unknown> | undefined;
  const old = oldest; // assigned in the loop above
  const sourcesEvaluated = count(researcher.sources, (d) => within((d.evaluation as { at?: string } | null | undefined)?.at, dayAgo));
  const findings24h = count(researcher.findings, (d) => within(d.createdAt as string | undefined, dayAgo));
  const seeds24h = count(researcher.proposedSeeds, (d) => within(d.createdAt as string | undefined, dayAgo));
  const sections24h = new Set(
    Object.values((state.modules.documenter?.patches ?? {}) as Record<string, unknown>)
      .filter(
        (p): p is { status: string; resolvedAt: string; sectionId: string } =>
          p !== null && typeof p === 'object' && (p as { status?: unknown }).status === 'applied' && within((p as { resolvedAt?: string }).resolvedAt, dayAgo),
      )
      .map((p) => p.sectionId),
  ).size;
  return {
    tasksCompleted24h: sortKeys(completed),
    tasksFailed24h: sortKeys(failed),
    avgTaskDurationMin: sortKeys(avg),
    avgQueueWaitMin: sortKeys(wait),
    insightsGenerated24h: count(insights, (d) => within(d.createdAt as string | undefined, dayAgo)),
    insightsTotal: count(insights),
    sectionsDocumented: backlogs.sectionsDocumented,
    sectionsDocumented24h: sections24h,
    researchItems: {
      sources: count(researcher.sources),
      findingsVerified: count(researcher.findings, (d) => d.verified === true),
      findingsUnverified: count(researcher.findings, (d) => d.verified === false),
      seedsProposed: count(researcher.proposedSeeds),
    },
    researchItems24h: { sourcesEvaluated, findings: findings24h, seedsProposed: seeds24h, total: sourcesEvaluated + findings24h + seeds24h },
    backends,
    queueDepth: sortKeys(queueDepth),
    oldestPendingTask: old ? { key: old.key, since: old.readyAt, waitingMin: Math.max(0, Math.round((nowMs - Date.parse(old.readyAt)) / MINUTE_MS)) } : null,
    preemptions24h: preemptions,
    backlogs: { blessedInsightsPending: backlogs.blessedInsightsPending, commentsPending: backlogs.commentsPending, seedsUnexplored: backlogs.seedsUnexplored },
  };
}

/** A few lines for the text status. */
export function formatMetrics(m: Metrics): string[] {
  const kv = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const lines = [
    `completed  24h: ${kv(m.tasksCompleted24h)}`,
    `failed     24h: ${kv(m.tasksFailed24h)}`,
    `run time   24h (min, its steps): ${kv(m.avgTaskDurationMin)}`,
    `queue wait 24h (min, created → done minus run): ${kv(m.avgQueueWaitMin)}`,
    `queue      ${kv(m.queueDepth)}${m.oldestPendingTask ? `; oldest ${m.oldestPendingTask.key} waiting ${m.oldestPendingTask.waitingMin} min` : ''}; ${m.preemptions24h} preemption(s) 24h`,
    `insights   ${m.insightsGenerated24h} in 24h, ${m.insightsTotal} total; sections ${m.sectionsDocumented24h} documented in 24h, ${m.sectionsDocumented} in the document`,
    `research   ${m.researchItems24h.total} item(s) in 24h (${m.researchItems24h.sourcesEvaluated} source(s) evaluated, ${m.researchItems24h.findings} finding(s), ${m.researchItems24h.seedsProposed} seed(s) proposed); total ${m.researchItems.sources} source(s), ${m.researchItems.findingsVerified} verified / ${m.researchItems.findingsUnverified} unverified finding(s), ${m.researchItems.seedsProposed} seed(s) proposed`,
    `backlogs   blessed insights pending ${m.backlogs.blessedInsightsPending}, comments pending ${m.backlogs.commentsPending}, seeds unexplored ${m.backlogs.seedsUnexplored}`,
  ];
  for (const [name, b] of Object.entries(m.backends)) {
    lines.push(
      `llm        ${name}: ${b.llmRequests24h} request(s) in 24h, ${b.llmRequestsLastHour} last hour, ${b.llmRequestsTotal} total; ${b.deepUsesToday} deep today; ${b.rateLimitHits24h} rate limit hit(s) 24h`,
    );
  }
  return lines;
}
