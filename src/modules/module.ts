import type { FanoEvent } from '../core/events.js';
import type { NewTaskSpec } from '../core/lifecycle.js';
import type { FanoState, Json, JsonObject, Task } from '../core/types.js';
import type { ProjectionSpec } from '../core/projection-spec.js';
import type { Problem } from '../core/problems.js';

/**
 * What a module asks for; the tick turns it into a Task with a stable key (a hash of `context`)
 * and dedupes it. The same shape as the lifecycle's own task spec.
 */
export type TaskSpec = NewTaskSpec;

export interface ModuleContext {
  /** Read-only view of the folded state (modules never mutate it: they return events). */
  state: Readonly<FanoState>;
  home: string;
  now: Date;
  /** This module's own config section (already validated). */
  options: JsonObject;
}

/** The next LLM request of a task step. */
export interface StepRequest {
  prompt: string;
  deep: boolean;
  /**
   * Merged into the task's data when it is claimed (logged before the request goes out): what the
   * prompt was built from, so `onAnswer` can compare it with the world later (e.g. the document
   * section a patch is based on). Optional.
   */
  data?: JsonObject;
  /**
   * Continue this conversation on the step's backend (the site keeps its context, so the prompt
   * carries only the new turn): the claim records it as the task's conversation and the gateway
   * reopens it. Absent: the task's own conversation, or a new chat.
   */
  conversationUrl?: string;
}

/** The backend the scheduler and the allocator gave a step, which its prompt is built for. */
export interface StepTarget {
  backend: string;
}

/** What a module makes of an ok answer. */
export interface StepOutcome {
  /** True when the task is finished; false to run another step later. */
  done: boolean;
  /** The task's new `data` (progress carried to the next step). */
  data: JsonObject;
  /** For done tasks: a small summary kept on the task. */
  result?: Json;
  /** Module domain changes, logged in the same record as the task update (atomic). */
  events: FanoEvent[];
  /**
   * Set when the answer is unusable (e.g. a strict format still wrong after a repair prompt): the
   * step fails like a module error (counted towards maxRetries) with this message, the task's
   * data becomes `data`, and `events` are still logged (e.g. the raw answer kept).
   */
  fail?: string;
}

/**
 * A research module. Modules never talk to an LLM and never write files: the tick pipeline asks
 * them for a prompt, sends it through the gateway, and logs the events they return.
 */
export interface Module {
  readonly name: string;
  /** Tasks this module wants now (the tick dedupes by key; repeats are harmless). */
  discover(ctx: ModuleContext): TaskSpec[] | Promise<TaskSpec[]>;
  /**
   * The files (relative to the home) whose content `discover` reads besides the state. Declaring
   * them lets an idle tick skip loading the state while they are unchanged (src/tick/idle-hint.ts);
   * a module that does not declare them makes every tick take the full path.
   */
  discoveryInputs?(ctx: { home: string; options: JsonObject }): string[];
  /** The next time `discover` could return new work from the passing of time alone (null: never). */
  nextDiscoveryAt?(ctx: ModuleContext): Date | null;
  /**
   * What a person must fix in the files this module reads (a malformed seeds file, an unclosed
   * comment in the document): each with file, line and the fix. Reads files, never throws for a
   * bad one, and never writes. Text with a problem is never answered, patched or quoted: the
   * module's discover and prepare leave it alone, and the tick applies no patch to such a file.
   */
  problems?(ctx: ModuleContext): Problem[];
  /**
   * The prompt for the task's next step, on `target.backend` (chosen before the prompt is built,
   * so a module can continue a conversation that backend holds). `target` is absent only for
   * callers that pick no backend first (the simulator's baseline): build a self-contained prompt.
   */
  prepare(task: Readonly<Task>, ctx: ModuleContext, target?: StepTarget): StepRequest;
  /** Apply an ok answer. Must be deterministic in (task, answer, state). */
  onAnswer(task: Readonly<Task>, answer: string, ctx: ModuleContext): StepOutcome;
  /** The task has failed for good (maxRetries): the module's clean-up, logged in the failure's record. */
  handleFailure(task: Readonly<Task>, error: string, ctx: ModuleContext): FanoEvent[];
  /** Module collections the store mirrors as files after each checkpoint (store/projections.ts). */
  readonly projections?: readonly ProjectionSpec[];
}
