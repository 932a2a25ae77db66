import type { FanoEvent } from '../../core/events.js';
import type { JsonObject, Task } from '../../core/types.js';
import type { Module, ModuleContext, StepOutcome, StepRequest, StepTarget, TaskSpec } from '../module.js';

/**
 * One entry per task type: how its steps are prompted, what an answer does and what a final failure
 * cleans up, typed by that type's `context` and `data`. A module declares its task types once
 * (a `TaskTypes` map), builds its specs with `taskSpec` (so a task of type K is created with K's
 * context and data) and hands the table to `dispatchByType`; adding a task type is adding one entry.
 */

/** Each task type of a module with the shape of its context and its data (plain JSON types). */
export type TaskTypes = Record<string, { context: JsonObject; data: JsonObject }>;

/** A task whose context and data have the shapes of its type. */
export type TaskOf<C extends JsonObject, D extends JsonObject> = Readonly<Omit<Task, 'context' | 'data'>> & { readonly context: C; readonly data: D };

export interface TaskHandler<C extends JsonObject, D extends JsonObject> {
  /** The prompt for the task's next step, on the backend the step got (Module.prepare). */
  prepare(task: TaskOf<C, D>, ctx: ModuleContext, target?: StepTarget): StepRequest;
  /** Apply an ok answer (deterministic in task, answer and state). */
  onAnswer(task: TaskOf<C, D>, answer: string, ctx: ModuleContext): StepOutcome;
  /** The task failed for good: the clean-up, logged in the failure's record. */
  handleFailure(task: TaskOf<C, D>, error: string, ctx: ModuleContext): FanoEvent[];
}

export type HandlerTable<M extends TaskTypes> = { readonly [K in keyof M & string]: TaskHandler<M[K]['context'], M[K]['data']> };

/** The spec of a task of type `type`, its context and data checked against the module's map. */
export function taskSpec<M extends TaskTypes, K extends keyof M & string>(
  module: string,
  type: K,
  context: M[K]['context'],
  data: M[K]['data'],
  extra: Omit<TaskSpec, 'module' | 'type' | 'context' | 'data'> = {},
): TaskSpec {
  return { module, type, context, data, ...extra };
}

/** Nothing to clean up: the task writes its results in one record, or not at all. */
export const noCleanup = (): FanoEvent[] => [];

/**
 * The Module methods that run a task step, each sending the task to its type's entry. A task's
 * context and data are those its type's spec was built with (`taskSpec`), which is what lets an
 * entry read them typed; a type the table does not know is a module error.
 */
export function dispatchByType<M extends TaskTypes>(module: string, table: HandlerTable<M>): Pick<Module, 'prepare' | 'onAnswer' | 'handleFailure'> {
  const entries: Readonly<Record<string, TaskHandler<JsonObject, JsonObject> | undefined>> = table;
  const handlerOf = (task: Readonly<Task>): TaskHandler<JsonObject, JsonObject> => {
    const handler = Object.hasOwn(entries, task.type) ? entries[task.type] : undefined;
    if (handler === undefined) throw new Error(`unknown ${module} task type ${task.type}`);
    return handler;
  };
  return {
    prepare: (task, ctx, target) => handlerOf(task).prepare(task, ctx, target),
    onAnswer: (task, answer, ctx) => handlerOf(task).onAnswer(task, answer, ctx),
    handleFailure: (task, error, ctx) => handlerOf(task).handleFailure(task, error, ctx),
  };
}
