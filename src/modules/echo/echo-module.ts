import type { Module, ModuleContext, StepOutcome, TaskSpec } from '../module.js';
import { dispatchByType, taskSpec } from '../shared/task-handlers.js';
import { readSeeds, SEEDS_PATH } from '../seeds-file.js';
import { ProblemError } from '../../core/problems.js';

/**
 * The spine's stand-in module: for every conjecture/question seed it holds a short multi-turn
 * conversation (`turns` exchanges) and records the answers. It exists to drive the tick pipeline
 * end to end on the mock; the Explorer replaces it.
 */
type EchoTypes = {
  exploration: { context: { seedId: string; text: string }; data: { answers: string[] } };
};

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
      .map((s) => taskSpec<EchoTypes, 'exploration'>('echo', 'exploration', { seedId: s.id, text: s.text }, { answers: [] }, { priority: s.priority }));
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

  ...dispatchByType<EchoTypes>('echo', {
    exploration: {
      prepare(task, ctx) {
        const turns = Number(ctx.options.turns ?? 2);
        const prompt =
          task.data.answers.length === 0
            ? `Explore this seed and say what follows from it.\n\nSeed: ${task.context.text}`
            : `Continue (turn ${task.data.answers.length + 1} of ${turns}). Critique your previous answer and go one step further.\n\nSeed: ${task.context.text}`;
        return { prompt, deep: false };
      },

      onAnswer(task, answer, ctx): StepOutcome {
        const answers = [...task.data.answers, answer];
        const turns = Number(ctx.options.turns ?? 2);
        if (answers.length < turns) return { done: false, data: { answers }, events: [] };
        const { seedId, text } = task.context;
        return {
          done: true,
          data: { answers },
          result: { seedId, turns: answers.length },
          events: [{ type: 'module.put', module: 'echo', collection: 'results', id: seedId, doc: { seedId, text, answers } }],
        };
      },

      handleFailure(task, error) {
        const { seedId } = task.context;
        return [{ type: 'module.put', module: 'echo', collection: 'failures', id: seedId, doc: { seedId, error } }];
      },
    },
  }),
};
