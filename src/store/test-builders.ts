import type { FanoEvent, LogRecord } from '../core/events.js';
import { emptyBackendState, emptyState } from '../core/types.js';
import type { FanoState, Task, TaskState } from '../core/types.js';

/**
 * Builders for realistic tasks and states, shared by the store tests and scripts/bench/store.ts.
 * Deterministic in their arguments (no clock, no randomness) so tests can compare bytes.
 */

const BASE_MS = Date.UTC(2025, 0, 1);
const iso = (offsetMs: number): string => new Date(BASE_MS + offsetMs).toISOString();
const STATES: readonly TaskState[] = ['pending', 'running', 'paused', 'completed', 'failed'];
const MODULES = ['explorer', 'documenter', 'researcher'] as const;

export function buildTask(i: number, overrides: Partial<Task> = {}): Task {
  const module = MODULES[i % MODULES.length]!;
  const state = STATES[i % STATES.length]!;
  const terminal = state === 'completed' || state === 'failed';
  const t: Task = {
    key: `${module}:step:${i.toString(16).padStart(12, '0')}`,
    module,
    type: 'step',
    state,
    context: {
      seed: `Seed idea number ${i}: how do sparse autoencoders relate to dictionary learning?`,
      insightId: `ins-${i % 97}`,
      depth: i % 4,
      tags: ['sae', 'interpretability', `t${i % 13}`],
    },
    data: {
      turns: [
        { role: 'user', text: `Explore seed ${i} in depth and list three open questions.` },
        { role: 'assistant', text: `Here are three questions about seed ${i}: `.padEnd(200, '.') },
      ],
      phase: i % 3 === 0 ? 'review' : 'draft',
      score: (i % 10) / 10,
    },
    priority: (i % 7) * 5,
    deep: i % 11 === 0,
    llmPreference: i % 5 === 0 ? 'chatgpt' : null,
    attempts: i % 3,
    llmRequests: i % 6,
    createdAt: iso(i * 1000),
    updatedAt: iso(i * 1000 + 500),
    readyAt: iso(i * 1000 + 100),
    notBefore: i % 4 === 0 ? iso(i * 1000 + 60_000) : null,
    lastError: i % 9 === 0 ? { kind: 'rateLimited', message: 'You have hit the limit until 2:56 PM', at: iso(i * 1000 + 200), bundle: null } : null,
    conversation:
      i % 2 === 0
        ? {
            backend: 'chatgpt',
            url: `https://chatgpt.com/c/${i.toString(36)}-abcdef`,
            turn: i % 5,
            submitted: i % 8 === 0 ? { requestId: `req-${i}`, at: iso(i * 1000 + 300), deep: false, promptHash: 'a1b2c3d4e5f6' } : null,
          }
        : null,
    result: terminal ? { summary: `Result of task ${i}`, insights: [`ins-${i}-a`, `ins-${i}-b`] } : null,
    finishedAt: terminal ? iso(i * 1000 + 900) : null,
    // Optional field: most tasks lack it, as in checkpoints written before it existed.
    ...(i % 7 === 2 ? { preemptions: [{ at: iso(i * 1000 + 700), by: `explorer:step:${(i + 1).toString(16).padStart(12, '0')}` }] } : {}),
  };
  return { ...t, ...overrides };
}

export function buildState(taskCount: number): FanoState {
  const s = emptyState();
  for (let i = 0; i < taskCount; i++) {
    const t = buildTask(i);
    s.tasks[t.key] = t;
  }
  s.backends.chatgpt = { ...emptyBackendState(), recent: [iso(1), iso(2)], totalRequests: 42, effectiveHourly: 40 };
  s.backends.mock = emptyBackendState();
  s.modules = { explorer: { seeds: { s1: { text: 'a seed', approved: true } } } };
  s.meta.passes = { explorer: 1.5, documenter: 0.25 };
  return s;
}

/** The i-th record of a plausible log: a task update, sometimes with a backend update. */
export function buildRecord(seq: number, taskCount = 1000): LogRecord {
  const events: FanoEvent[] = [{ type: 'task.put', task: buildTask(seq % taskCount, { attempts: seq % 4 }) }];
  if (seq % 3 === 0) events.push({ type: 'backend.put', name: 'mock', backend: { ...emptyBackendState(), totalRequests: seq } });
  return { seq, at: iso(seq * 10), events };
}
