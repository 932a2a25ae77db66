import type { FanoState, Json, WeightsInfo } from './types.js';
import { DAY_MS } from './time.js';

/**
 * The priority consultation, pure: when one is due, the compact system summary the
 * model sees, and the strict parsing of its answer into module weights. Time is an argument.
 *
 * Durable bookkeeping lives in the state as module data (`consultation/stats/main`), so the cap
 * on the share of requests survives archiving and restarts and is derived from the same
 * counters every tick sees.
 */

export const CONSULTATION_MODULE = 'consultation';
export const CONSULTATION_FORMAT = 'fano.consultation.v1';
/** No module is ever weighed below this share (percent): a weight of 0 would starve its backlog. */
export const MIN_WEIGHT_PERCENT = 5;
const MAX_REASONING_CHARS = 1000;

export interface ConsultationOptions {
  enabled: boolean;
  intervalMs: number;
  onSignificantChange: boolean;
  significantChangeThreshold: number;
  maxShare: number;
}

export interface ConsultationStats {
  /** Consultation answers received (good or bad). */
  count: number;
  /** Consultations that failed for good (no answer after their retries). */
  failed: number;
  lastAt: string | null;
}

export function consultationStats(state: Readonly<FanoState>): ConsultationStats {
  const doc = state.modules[CONSULTATION_MODULE]?.stats?.main as { count?: number; failed?: number; lastAt?: string | null } | undefined;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  return { count: n(doc?.count), failed: n(doc?.failed), lastAt: typeof doc?.lastAt === 'string' ? doc.lastAt : null };
}

/**
 * Requests the consultations have cost: every attempt that was sent, also those that failed
 * (counted with every request in the backend states, rolled back with them when not sent). A home
 * from before that counter knows at least its answers.
 */
export function consultationRequests(state: Readonly<FanoState>): number {
  let sent = 0;
  for (const b of Object.values(state.backends)) sent += b.requestsByModule?.[CONSULTATION_MODULE] ?? 0;
  return Math.max(sent, consultationStats(state).count);
}

/** Requests sent so far over all backends (a durable counter in the backend states). */
export function totalRequests(state: Readonly<FanoState>): number {
  return Object.values(state.backends).reduce((a, b) => a + b.totalRequests, 0);
}

export type DueReason = 'interval' | 'change';

/**
 * `iso` is strictly after `sinceMs` (whose toISOString is `sinceIso`). fano writes times as
 * toISOString() (fixed width, UTC), which order as strings, so the per-task Date.parse is only
 * needed for other forms (a hand-edited state). These checks run every minute over every task.
 */
function isoAfter(iso: string, sinceIso: string, sinceMs: number): boolean {
  return iso.length === sinceIso.length && iso.endsWith('Z') ? iso > sinceIso : Date.parse(iso) > sinceMs;
}

/**
 * Whether a consultation should be queued now. Order of the checks matters for the log: the share
 * cap is the hard limit and wins over both triggers. Without an earlier consultation the interval
 * counts from the oldest task (the start of the work), so a fresh home is not consulted at once.
 */
export function consultationDue(
  state: Readonly<FanoState>,
  now: Date,
  opts: ConsultationOptions,
): { due: boolean; reason: DueReason | 'share' | 'disabled' | 'not yet' } {
  if (!opts.enabled) return { due: false, reason: 'disabled' };
  const stats = consultationStats(state);
  const total = totalRequests(state);
  // The next consultation's request must keep consultations within maxShare of all requests.
  if ((consultationRequests(state) + 1) / (total + 1) > opts.maxShare) return { due: false, reason: 'share' };
  let sinceMs = now.getTime();
  if (stats.lastAt !== null) sinceMs = Date.parse(stats.lastAt);
  else {
    for (const key in state.tasks) {
      const t = state.tasks[key]!;
      if (t.module !== CONSULTATION_MODULE) sinceMs = Math.min(sinceMs, Date.parse(t.createdAt));
    }
  }
  if (now.getTime() - sinceMs >= opts.intervalMs) return { due: true, reason: 'interval' };
  if (opts.onSignificantChange) {
    let completed = 0;
    // No time is after an unreadable lastAt (NaN).
    const sinceIso = Number.isNaN(sinceMs) ? null : new Date(sinceMs).toISOString();
    if (sinceIso !== null)
      for (const key in state.tasks) {
        const t = state.tasks[key]!;
        if (t.module === CONSULTATION_MODULE || t.state !== 'completed' || t.finishedAt === null || !isoAfter(t.finishedAt, sinceIso, sinceMs)) continue;
        if (++completed >= opts.significantChangeThreshold) break;
      }
    if (completed >= opts.significantChangeThreshold) return { due: true, reason: 'change' };
  }
  return { due: false, reason: 'not yet' };
}

export interface SummaryInput {
  modules: string[];
  current: Record<string, number>;
  /** Per-backend quota line, already formatted by the caller (e.g. "chatgpt 12/40 this hour"). */
  backends: string[];
  /** Module backlogs (e.g. blessed insights pending) from the metrics. */
  backlogs: Record<string, number>;
}

/** The compact system summary: backlogs, 24 h activity, quota state. A few hundred characters. */
export function consultationSummary(state: Readonly<FanoState>, now: Date, input: SummaryInput): string {
  // "At or after a day ago" is "after a day ago minus 1 ms" (times have whole milliseconds).
  const fromMs = now.getTime() - DAY_MS - 1;
  const fromIso = new Date(fromMs).toISOString();
  const counts = new Map(input.modules.map((m) => [m, { pending: 0, done24: 0, failed24: 0 }]));
  for (const key in state.tasks) {
    const t = state.tasks[key]!;
    const c = counts.get(t.module);
    if (!c) continue;
    if (t.state === 'pending' || t.state === 'paused') c.pending++;
    else if ((t.state === 'completed' || t.state === 'failed') && t.finishedAt !== null && isoAfter(t.finishedAt, fromIso, fromMs))
      c[t.state === 'completed' ? 'done24' : 'failed24']++;
  }
  const lines: string[] = [];
  for (const m of input.modules) {
    const c = counts.get(m)!;
    lines.push(`- ${m}: weight ${round1(input.current[m] ?? 0)}, queued ${c.pending}, completed 24h ${c.done24}, failed 24h ${c.failed24}`);
  }
  const backlog = Object.entries(input.backlogs)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [`TIME: ${now.toISOString()}`, 'MODULES:', ...lines, `BACKLOGS: ${backlog || 'none'}`, `BACKENDS: ${input.backends.join('; ') || 'none'}`].join('\n');
}

export function consultationPrompt(summary: string, modules: string[]): string {
  return [
    'You allocate the effort of an automated research system between its modules.',
    'Look at the backlogs and the last 24 hours, and shift effort to where work is piling up.',
    '',
    summary,
    '',
    `FORMAT: ${CONSULTATION_FORMAT}`,
    `MODULE NAMES: ${modules.join(', ')}`,
    'Answer with ONE JSON object and nothing else, exactly of this shape:',
    `{"weights": {${modules.map((m) => `"${m}": <0..100>`).join(', ')}}, "reasoning": "<one or two sentences>"}`,
  ].join('\n');
}

export type WeightsParse = { ok: true; values: Record<string, number>; reasoning: string } | { ok: false; error: string };

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Strict parse of a consultation answer: one JSON object with `weights` (known module -> finite
 * number) and a non-empty `reasoning`. Unknown modules are an error (the model misread the task);
 * a module it left out keeps its current weight. Values are clamped to [0, 100], normalized to
 * sum 100, floored at MIN_WEIGHT_PERCENT and normalized again.
 */
export function parseWeights(answer: string, modules: string[], current: Record<string, number>): WeightsParse {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/i.exec(answer)?.[1];
  const start = answer.indexOf('{');
  const end = answer.lastIndexOf('}');
  const body = fenced ?? (start >= 0 && end > start ? answer.slice(start, end + 1) : null);
  if (body === null) return { ok: false, error: 'no JSON object found in the answer' };
  let json: Json;
  try {
    json = JSON.parse(body) as Json;
  } catch (err) {
    return { ok: false, error: `the JSON does not parse: ${(err as Error).message}` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { ok: false, error: 'the answer is not a JSON object' };
  const w = json.weights;
  if (w === null || typeof w !== 'object' || Array.isArray(w)) return { ok: false, error: 'weights: expected an object of module -> number' };
  const reasoning = typeof json.reasoning === 'string' ? json.reasoning.trim() : '';
  if (reasoning === '') return { ok: false, error: 'reasoning: expected a non-empty string' };
  if (modules.length === 0) return { ok: false, error: 'no modules to weigh' };
  const raw: Record<string, number> = {};
  for (const [k, v] of Object.entries(w)) {
    if (!modules.includes(k)) return { ok: false, error: `weights.${k}: not a module (expected ${modules.join(', ')})` };
    if (typeof v !== 'number' || !Number.isFinite(v)) return { ok: false, error: `weights.${k}: expected a number` };
    raw[k] = Math.min(100, Math.max(0, v));
  }
  if (Object.keys(raw).length === 0) return { ok: false, error: 'weights: no module weighed' };
  const merged = Object.fromEntries(modules.map((m) => [m, raw[m] ?? Math.max(0, current[m] ?? 0)]));
  const values = normalizeWeights(merged);
  if (values === null) return { ok: false, error: 'weights: all zero' };
  return { ok: true, values, reasoning: reasoning.slice(0, MAX_REASONING_CHARS) };
}

/** Sum 100, every module at least MIN_WEIGHT_PERCENT, rounded to 0.1. Null when all are zero. */
export function normalizeWeights(w: Record<string, number>): Record<string, number> | null {
  const keys = Object.keys(w).sort();
  const sum = keys.reduce((a, k) => a + w[k]!, 0);
  if (!(sum > 0)) return null;
  const floor = Math.min(MIN_WEIGHT_PERCENT, 100 / keys.length);
  const scaled = keys.map((k) => Math.max(floor, (w[k]! / sum) * 100));
  const sum2 = scaled.reduce((a, b) => a + b, 0);
  return Object.fromEntries(keys.map((k, i) => [k, round1((scaled[i]! / sum2) * 100)]));
}

export function weightsInfo(values: Record<string, number>, reasoning: string, at: Date): WeightsInfo {
  return { values, source: 'consultation', reasoning, at: at.toISOString() };
}
