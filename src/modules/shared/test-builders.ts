import { createTask } from '../../core/lifecycle.js';
import type { Task } from '../../core/types.js';
import type { TaskSpec } from '../module.js';

/** Builders every module's tests use (plain functions, no vitest import). */

export const NOW = new Date('2025-03-01T12:00:00.000Z');
export const AT = NOW.toISOString();

/** A task made from a spec, claimed on `backend` as the tick would. */
export function running(spec: TaskSpec, backend: string): Task {
  const t = createTask(spec, NOW);
  return { ...t, state: 'running', conversation: { backend, url: null, turn: 0, submitted: null } };
}
