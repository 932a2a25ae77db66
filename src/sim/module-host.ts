import type { FanoEvent } from '../core/events.js';
import { createTask } from '../core/lifecycle.js';
import { readAnswer, type ModuleVerdict } from '../core/step-outcome.js';
import { applyEvents } from '../core/reducer.js';
import { taskKey } from '../core/task-key.js';
import { selectArchivable } from '../store/archive.js';
import { emptyState, type FanoState, type JsonObject, type Task } from '../core/types.js';
import type { ModuleContext, StepOutcome } from '../modules/module.js';
import type { SimModule } from './workload.js';

/**
 * What both drivers share with the tick: the folded state the modules read, discovery with the
 * tick's dedupe rule (a key fano has seen is never queued again), and module
 * events applied through the one reducer.
 */
export class ModuleHost {
  readonly state: FanoState = emptyState();
  private readonly byName = new Map<string, SimModule>();

  /** `options`: a module's config section, as the tick passes it (sim modules need none). */
  constructor(
    readonly modules: readonly SimModule[],
    private readonly options: Readonly<Record<string, JsonObject>> = {},
  ) {
    for (const m of modules) this.byName.set(m.name, m);
  }

  module(name: string): SimModule {
    const m = this.byName.get(name);
    if (!m) throw new Error(`simulator: no module ${name}`);
    return m;
  }

  ctx(now: Date, module?: string): ModuleContext {
    return { state: this.state, home: '<sim>', now, options: (module !== undefined ? this.options[module] : undefined) ?? {} };
  }

  /** New tasks from every module; the caller puts them in its queue. */
  discover(now: Date): Task[] {
    const out: Task[] = [];
    for (const m of this.modules) {
      const specs = m.discover(this.ctx(now, m.name));
      if (specs instanceof Promise) throw new Error('simulator: sim modules discover synchronously');
      for (const spec of specs) {
        const key = taskKey(spec.module, spec.type, spec.context);
        if (key in this.state.tasks) continue;
        const task = createTask(spec, now);
        this.state.tasks[key] = task;
        out.push(task);
      }
    }
    return out;
  }

  /**
   * Drops terminal tasks finished before `cutoff` from the state, as the tick's archive does
   * (src/store/archive.ts selects them the same way; the archive file is I/O, left out).
   */
  archive(cutoff: Date): void {
    const tasks = selectArchivable(this.state, cutoff);
    if (tasks.length > 0) applyEvents(this.state, [{ type: 'task.drop', keys: tasks.map((t) => t.key) }]);
  }

  put(task: Task): void {
    this.state.tasks[task.key] = task;
  }

  answer(task: Task, now: Date): StepOutcome {
    const out = this.module(task.module).onAnswer(task, 'ok', this.ctx(now, task.module));
    applyEvents(this.state, out.events);
    return out;
  }

  /** The module's reading of an answer, as the tick reads it (core/step-outcome.ts); nothing applied yet. */
  verdict(task: Task, now: Date): ModuleVerdict {
    return readAnswer(() => this.module(task.module).onAnswer(task, 'ok', this.ctx(now, task.module)));
  }

  /** Events decided for a step (the task's and the module's), through the one reducer. */
  apply(events: FanoEvent[]): void {
    applyEvents(this.state, events);
  }

  failed(task: Task, error: string, now: Date): void {
    applyEvents(this.state, this.module(task.module).handleFailure(task, error, this.ctx(now, task.module)));
  }
}
