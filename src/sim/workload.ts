import type { FanoEvent } from '../core/events.js';
import type { JsonObject, Task } from '../core/types.js';
import type { Module, ModuleContext, StepOutcome, StepRequest, TaskSpec } from '../modules/module.js';
import { unitHash } from './scenario.js';
import type { Arrival, WorldSchedule } from './world.js';

/**
 * Three synthetic modules (with the Explorer's, Documenter's and Researcher's task types) that together
 * always keep more work runnable than the backends can serve. They implement the real Module
 * interface so the drivers use them exactly as the tick uses real modules.
 *
 * Each module keeps a small WINDOW of open work (like a real module's "a few explorations at a
 * time") fed from an endless latent supply (seeds, sections, sources), so capacity, not the
 * workload, is the bottleneck, and queue depth stays bounded (a wait bound is meaningful only
 * for a bounded queue). Follow-up work (reviews, syntheses, extractions) comes from answers.
 * Outcomes depend on a hash of the work's id, never on luck, so both algorithms face the same
 * workload. Sim modules keep their bookkeeping in memory: one module set per run.
 */

export const SIM_MODULES = ['explorer', 'documenter', 'researcher'] as const;

/** When human events happened and when fano finished with them (the latency metrics). */
export interface Board {
  schedule: WorldSchedule;
  commentDoneAt: Map<string, number>;
  urgentSeedDoneAt: Map<string, number>;
  /** Insights blessed by the Explorer, waiting for the Documenter (the backlog-pressure input). */
  blessed: string[];
  blessedCursor: number;
  deepDone: number;
}

export function newBoard(schedule: WorldSchedule): Board {
  return { schedule, commentDoneAt: new Map(), urgentSeedDoneAt: new Map(), blessed: [], blessedCursor: 0, deepDone: 0 };
}

export interface SimModule extends Module {
  /** Backlog figures for the backlog-pressure factor of the priority. */
  backlog(): Record<string, number>;
}

const EXPLORE_WINDOW = 4;
const DOC_FILLER_WINDOW = 3;
const INCORPORATE_WINDOW = 3;
const SOURCE_WINDOW = 3;
const SYNTHESIS_EVERY = 10;
const CRITIQUE_EVERY = 3;
const QUESTIONS_EVERY = 6;
const FINDINGS_EVERY = 10;

function steps(task: Readonly<Task>): number {
  return Number(task.data.turn ?? 0);
}

interface SpecOptions {
  turns?: number;
  priority?: number;
  deep?: boolean;
}

function spec(module: string, type: string, context: JsonObject, o: SpecOptions = {}): TaskSpec {
  return { module, type, context, data: { turn: 0, turns: o.turns ?? 1 }, priority: o.priority ?? 0, deep: o.deep ?? false };
}

/** Shared step logic: count turns, finish after `turns`. */
function advance(task: Readonly<Task>): { done: boolean; data: JsonObject } {
  const turn = steps(task) + 1;
  const turns = Number(task.data.turns ?? 1);
  return { done: turn >= turns, data: { ...task.data, turn } };
}

function prompt(task: Readonly<Task>, deep: boolean): StepRequest {
  return { prompt: `${task.type} ${JSON.stringify(task.context)} turn ${steps(task) + 1}`, deep };
}

function put(module: string, collection: string, id: string, doc: JsonObject): FanoEvent {
  return { type: 'module.put', module, collection, id, doc };
}

/** Arrivals up to `now`, consumed once (the cursor lives with the module). */
function takeArrived(list: readonly Arrival[], cursor: { i: number }, now: number): Arrival[] {
  const out: Arrival[] = [];
  while (cursor.i < list.length && list[cursor.i]!.atMs <= now) out.push(list[cursor.i++]!);
  return out;
}

export function createExplorer(board: Board): SimModule {
  const urgent = { i: 0 };
  const flood = { i: 0 };
  let nextSeed = 1;
  let openNormal = 0;
  let explored = 0;
  let synth = 0;
  const queued: TaskSpec[] = [];
  return {
    name: 'explorer',
    backlog: () => ({ explorationsOpen: openNormal }),
    discover(ctx: ModuleContext): TaskSpec[] {
      const out = queued.splice(0);
      for (const a of takeArrived(board.schedule.urgentSeeds, urgent, ctx.now.getTime())) {
        const p = a.priority ?? 1;
        out.push(spec('explorer', 'exploration', { seed: a.id, seed_priority: p }, { turns: 3 + Math.floor(unitHash(a.id) * 4) }));
      }
      for (const a of takeArrived(board.schedule.floodSeeds ?? [], flood, ctx.now.getTime())) {
        out.push(spec('explorer', 'exploration', { seed: a.id, seed_priority: 0 }, { turns: 3 + Math.floor(unitHash(a.id) * 4) }));
      }
      while (openNormal < EXPLORE_WINDOW) {
        const id = `s${nextSeed++}`;
        openNormal++;
        out.push(spec('explorer', 'exploration', { seed: id, seed_priority: 0 }, { turns: 3 + Math.floor(unitHash(id) * 4) }));
      }
      return out;
    },
    prepare: (task) => prompt(task, task.deep),
    onAnswer(task: Readonly<Task>, _answer: string, ctx: ModuleContext): StepOutcome {
      const { done, data } = advance(task);
      const events: FanoEvent[] = [];
      if (done) {
        const id = String(task.context.seed ?? task.context.insight ?? task.context.critique ?? task.context.synthesis);
        if (task.type === 'exploration') {
          if (id.startsWith('u')) board.urgentSeedDoneAt.set(id, ctx.now.getTime());
          else if (id.startsWith('s')) openNormal--;
          explored++;
          const n = 1 + (unitHash(`${id}:n`) < 0.5 ? 1 : 0);
          for (let i = 0; i < n; i++) queued.push(spec('explorer', 'review', { insight: `${id}.${i}` }));
          if (explored % CRITIQUE_EVERY === 0) queued.push(spec('explorer', 'critique', { critique: id }));
          if (explored % SYNTHESIS_EVERY === 0) queued.push(spec('explorer', 'synthesis', { synthesis: ++synth }, { deep: true }));
          events.push(put('explorer', 'seeds', id, { status: 'explored' }));
        } else if (task.type === 'review') {
          const blessed = unitHash(`${id}:bless`) < 0.6;
          if (blessed) board.blessed.push(id);
          events.push(put('explorer', 'insights', id, { status: blessed ? 'blessed' : 'rejected' }));
        } else if (task.type === 'synthesis') {
          board.deepDone++;
          const iid = `syn${id}`;
          board.blessed.push(iid);
          events.push(put('explorer', 'insights', iid, { status: 'blessed' }));
        }
      }
      return { done, data, result: done ? { ok: true } : undefined, events };
    },
    handleFailure(task: Readonly<Task>, error: string): FanoEvent[] {
      if (task.type === 'exploration' && String(task.context.seed).startsWith('s')) openNormal--;
      return [put('explorer', 'failures', task.key, { error })];
    },
  };
}

export function createDocumenter(board: Board): SimModule {
  const comments = { i: 0 };
  let openFiller = 0;
  let openIncorporate = 0;
  let openComments = 0;
  let filler = 0;
  return {
    name: 'documenter',
    backlog: () => ({ blessedPending: board.blessed.length - board.blessedCursor + openIncorporate, commentsOpen: openComments }),
    discover(ctx: ModuleContext): TaskSpec[] {
      const out: TaskSpec[] = [];
      for (const c of takeArrived(board.schedule.comments, comments, ctx.now.getTime())) {
        openComments++;
        out.push(spec('documenter', 'address_comment', { comment: c.id }, { turns: unitHash(c.id) < 0.3 ? 2 : 1 }));
      }
      while (openIncorporate < INCORPORATE_WINDOW && board.blessedCursor < board.blessed.length) {
        const id = board.blessed[board.blessedCursor++]!;
        openIncorporate++;
        out.push(spec('documenter', 'incorporate_insight', { insight: id }, { turns: 2 }));
      }
      while (openFiller < DOC_FILLER_WINDOW) {
        const k = filler++;
        openFiller++;
        out.push(
          k % 5 === 4
            ? spec('documenter', 'draft_section', { draft: k }, { turns: 3 })
            : spec('documenter', 'review_section', { section: k % 40, round: Math.floor(k / 40) }),
        );
      }
      return out;
    },
    prepare: (task) => prompt(task, task.deep),
    onAnswer(task: Readonly<Task>, _answer: string, ctx: ModuleContext): StepOutcome {
      const { done, data } = advance(task);
      const events: FanoEvent[] = [];
      if (done) {
        if (task.type === 'address_comment') {
          const id = String(task.context.comment);
          openComments--;
          board.commentDoneAt.set(id, ctx.now.getTime());
          events.push(put('documenter', 'comments', id, { status: 'addressed' }));
        } else if (task.type === 'incorporate_insight') {
          openIncorporate--;
          events.push(put('documenter', 'incorporated', String(task.context.insight), { status: 'documented' }));
        } else {
          openFiller--;
        }
      }
      return { done, data, result: done ? { ok: true } : undefined, events };
    },
    handleFailure(task: Readonly<Task>, error: string): FanoEvent[] {
      if (task.type === 'incorporate_insight') openIncorporate--;
      else if (task.type === 'address_comment') openComments--;
      else if (task.type === 'review_section' || task.type === 'draft_section') openFiller--;
      return [put('documenter', 'failures', task.key, { error })];
    },
  };
}

export function createResearcher(board: Board): SimModule {
  void board;
  let nextSource = 1;
  let openSources = 0;
  let evaluated = 0;
  let extracted = 0;
  const queued: TaskSpec[] = [];
  return {
    name: 'researcher',
    backlog: () => ({ sourcesOpen: openSources }),
    discover(): TaskSpec[] {
      const out = queued.splice(0);
      while (openSources < SOURCE_WINDOW) {
        openSources++;
        out.push(spec('researcher', 'evaluate_source', { source: nextSource++ }));
      }
      return out;
    },
    prepare: (task) => prompt(task, task.deep),
    onAnswer(task: Readonly<Task>): StepOutcome {
      const { done, data } = advance(task);
      const events: FanoEvent[] = [];
      if (done) {
        if (task.type === 'evaluate_source') {
          openSources--;
          evaluated++;
          const src = Number(task.context.source);
          const trusted = unitHash(`src${src}`) < 0.7;
          if (trusted) queued.push(spec('researcher', 'extract_content', { extract: src }, { turns: 2 }));
          if (evaluated % QUESTIONS_EVERY === 0) queued.push(spec('researcher', 'generate_questions', { questions: evaluated }));
          events.push(put('researcher', 'sources', String(src), { trusted }));
        } else if (task.type === 'extract_content') {
          extracted++;
          if (extracted % FINDINGS_EVERY === 0) queued.push(spec('researcher', 'synthesize_findings', { findings: extracted }, { deep: true }));
        } else if (task.type === 'synthesize_findings') {
          board.deepDone++;
        }
      }
      return { done, data, result: done ? { ok: true } : undefined, events };
    },
    handleFailure(task: Readonly<Task>, error: string): FanoEvent[] {
      if (task.type === 'evaluate_source') openSources--;
      return [put('researcher', 'failures', task.key, { error })];
    },
  };
}

export function createSimModules(board: Board): SimModule[] {
  return [createExplorer(board), createDocumenter(board), createResearcher(board)];
}
