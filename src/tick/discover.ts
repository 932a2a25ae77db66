import type { FanoEvent } from '../core/events.js';
import { createTask } from '../core/lifecycle.js';
import { taskKey } from '../core/task-key.js';
import type { FanoState, JsonObject } from '../core/types.js';
import type { Logger } from '../log.js';
import type { Module } from '../modules/module.js';

/**
 * Asks every module for the work it wants and returns `task.put` events for the keys fano has not
 * seen. A key identifies one unit of work for good: a key already in the state (active or
 * finished) is never queued again, so polling every minute cannot flood the queue.
 * A module whose discovery fails is logged and skipped; the others still run.
 */
export async function discoverTasks(
  state: Readonly<FanoState>,
  modules: Array<{ module: Module; options: JsonObject }>,
  home: string,
  now: Date,
  log: Logger,
): Promise<FanoEvent[]> {
  const events: FanoEvent[] = [];
  const seen = new Set<string>();
  for (const { module, options } of modules) {
    let specs;
    try {
      specs = await module.discover({ state, home, now, options });
    } catch (err) {
      log.error('module.discover_failed', { module: module.name, error: (err as Error).message });
      continue;
    }
    for (const spec of specs) {
      const key = taskKey(spec.module, spec.type, spec.context);
      if (key in state.tasks || seen.has(key)) continue;
      seen.add(key);
      const task = createTask(spec, now);
      events.push({ type: 'task.put', task });
      log.info('task.scheduled', { taskId: key, module: spec.module, taskType: spec.type, priority: task.priority });
    }
  }
  return events;
}
