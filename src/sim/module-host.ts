import type { FanoEvent } from '../core/events.js';
import type { FanoState, JsonObject, Task } from '../core/types.js';
import type { Logger } from '../log.js';
import type { Module, ModuleContext, StepOutcome } from '../modules/module.js';
import { applyPendingPatches, hasPendingPatches } from '../store/document-file.js';
import type { Store } from '../store/store.js';
import { discoverTasks } from '../tick/discover.js';

/**
 * The real modules for the baseline (sim/baseline.ts), which runs them with its own scheduler and
 * task handling: discovery with the tick's dedupe rule (tick/discover.ts), answers applied through
 * the store (one reducer), and document patches written as a tick writes them.
 */

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {}, close: () => {}, file: null };

export class ModuleHost {
  private readonly byName = new Map<string, { module: Module; options: JsonObject }>();

  constructor(
    readonly store: Store,
    readonly home: string,
    readonly modules: ReadonlyArray<{ module: Module; options: JsonObject }>,
  ) {
    for (const m of modules) this.byName.set(m.module.name, m);
  }

  get state(): FanoState {
    return this.store.state;
  }

  module(name: string): Module {
    const m = this.byName.get(name);
    if (!m) throw new Error(`simulator: no module ${name}`);
    return m.module;
  }

  ctx(now: Date, module: string): ModuleContext {
    return { state: this.store.state, home: this.home, now, options: this.byName.get(module)?.options ?? {} };
  }

  /** New tasks from every module, logged. */
  async discover(now: Date): Promise<Task[]> {
    const events = await discoverTasks(this.store.state, [...this.modules], this.home, now, quiet);
    if (events.length > 0) await this.store.append(events, now);
    return events.flatMap((e) => (e.type === 'task.put' ? [e.task] : []));
  }

  async put(task: Task, now: Date, events: FanoEvent[] = []): Promise<void> {
    await this.store.append([{ type: 'task.put', task }, ...events], now);
    if (hasPendingPatches(this.store.state)) await applyPendingPatches(this.store, () => now, quiet);
  }

  /** The module's reading of an ok answer (nothing logged yet); a module that throws rejects it. */
  answer(task: Task, text: string, now: Date): StepOutcome {
    try {
      return this.module(task.module).onAnswer(task, text, this.ctx(now, task.module));
    } catch (err) {
      return { done: false, data: task.data, events: [], fail: (err as Error).message };
    }
  }

  failed(task: Task, error: string, now: Date): FanoEvent[] {
    return this.module(task.module).handleFailure(task, error, this.ctx(now, task.module));
  }
}
