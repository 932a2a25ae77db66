import type { JsonObject, Task } from '../../core/types.js';
import type { Module, ModuleContext, StepOutcome, TaskSpec } from '../module.js';
import { readSeeds, SEEDS_PATH } from '../seeds-file.js';
import { ProblemError } from '../../core/problems.js';

/**
 * The spine's stand-in module: for every conjecture/question seed it holds a short multi-turn
 * conversation (`turns` exchanges) and records the answers. It exists to drive the tick pipeline
 * end to end on the mock; the Explorer replaces it.
 */
export const echoModule: Module = {
  name: 'echo',

  discover(ctx: ModuleContext): TaskSpec[] {
    const done = ctx.state.modules.echo?.results ?? {};
    let seeds;
    try {
      seeds = readSeeds(ctx.home);
    } catch (err) {
      if (err instanceof ProblemError) return []; // listed by problems()
      throw err;
    }
    return seeds
      .filter((s) => s.type !== 'axiom' && !(s.id in done))
      .map((s) => ({
        module: 'echo',
        type: 'exploration',
        context: { seedId: s.id, text: s.text },
        data: { answers: [] },
        priority: s.priority,
      }));
  },

  discoveryInputs: () => [SEEDS_PATH],

  problems(ctx: ModuleContext) {
    try {
      readSeeds(ctx.home);
      return [];
    } catch (err) {
      if (err instanceof ProblemError) return [err.problem];
      throw err;
    }
  },

  prepare(task: Readonly<Task>, ctx: ModuleContext) {
    const answers = (task.data.answers as string[] | undefined) ?? [];
    const turns = Number(ctx.options.turns ?? 2);
    const prompt =
      answers.length === 0
        ? `Explore this seed and say what follows from it.\n\nSeed: ${String(task.context.text)}`
        : `Continue (turn ${answers.length + 1} of ${turns}). Critique your previous answer and go one step further.\n\nSeed: ${String(task.context.text)}`;
    return { prompt, deep: false };
  },

  onAnswer(task: Readonly<Task>, answer: string, ctx: ModuleContext): StepOutcome {
    const answers = [...((task.data.answers as string[] | undefined) ?? []), answer];
    const turns = Number(ctx.options.turns ?? 2);
    const data: JsonObject = { answers };
    if (answers.length < turns) return { done: false, data, events: [] };
    const seedId = String(task.context.seedId);
    return {
      done: true,
      data,
      result: { seedId, turns: answers.length },
      events: [{ type: 'module.put', module: 'echo', collection: 'results', id: seedId, doc: { seedId, text: String(task.context.text), answers } }],
    };
  },

  handleFailure(task: Readonly<Task>, error: string): StepOutcome['events'] {
    const seedId = String(task.context.seedId);
    return [{ type: 'module.put', module: 'echo', collection: 'failures', id: seedId, doc: { seedId, error } }];
  },
};
