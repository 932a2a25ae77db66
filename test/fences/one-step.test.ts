import ts from 'typescript';
import { beforeAll, describe, expect, test } from 'vitest';
import { readSourceTree, type SourceTree } from './source-tree.js';

/**
 * The tick and the simulator decide a step's outcome in the same code: the tick's own loop
 * (src/tick/slice.ts runSlice, whose steps decide through src/core/step-outcome.ts decideClaim and
 * decideStep) is what the simulator runs. No tick or simulator file may call the lifecycle and
 * quota transitions those functions are made of, and the simulator may not pick or decide steps
 * itself, or its figures stop vouching for real ticks. The original design's baseline
 * (src/sim/baseline.ts) is not fano's step and is exempt.
 */

const STEP_PIECES = ['claimTask', 'completeStep', 'failStep', 'recordPreemption', 'recordRequest', 'recordOutcome', 'rollbackRequest'];
const SHARED = ['decideClaim', 'decideStep'];
const CALLERS = ['src/tick/step.ts'];
/** The simulator's run of fano, and what only a loop of its own would need. */
const SIM_RUN = 'src/sim/fano-run.ts';
const OWN_LOOP = ['createScheduler', 'decideClaim', 'decideStep', 'decidePrepareFailure', 'beginStep', 'finishStep'];
const EXEMPT = new Set(['src/sim/baseline.ts']);

/** Identifiers of step pieces a file names in code (comments and strings do not count), with lines. */
export function stepPiecesUsed(source: string, file: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && STEP_PIECES.includes(n.text)) out.push(`${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.text}`);
    n.forEachChild(visit);
  };
  visit(sf);
  return out;
}

let tree: SourceTree;
beforeAll(async () => {
  tree = await readSourceTree(['src/tick', 'src/sim']);
});

describe('one step, two callers', () => {
  test('the fence finds a step piece in code, not in comments or strings', () => {
    const src = [
      "import { completeStep } from '../core/lifecycle.js';",
      '// failStep in a comment',
      "const s = 'recordOutcome';",
      'const t = completeStep(task, step, now);',
    ].join('\n');
    expect(stepPiecesUsed(src, 'src/sim/fixture.ts')).toEqual(['1: completeStep', '4: completeStep']);
  });

  test('the tick and the simulator both decide steps through core/step-outcome.ts', () => {
    for (const file of CALLERS) {
      const src = tree.get(file);
      expect(src, file).toBeDefined();
      for (const name of SHARED) expect(src, `${file} uses ${name}`).toMatch(new RegExp(`\\b${name}\\(`));
    }
  });

  test("the simulator runs the tick's loop, and has no scheduler or step of its own", () => {
    expect(tree.get(SIM_RUN), SIM_RUN).toMatch(/\brunSlice\(/);
    const own: string[] = [];
    for (const [file, src] of tree) {
      if (!file.startsWith('src/sim/') || EXEMPT.has(file) || /\.test\.tsx?$/.test(file)) continue;
      for (const name of OWN_LOOP) if (new RegExp(`\\b${name}\\b`).test(src)) own.push(`${file}: ${name}`);
    }
    expect(own).toEqual([]);
  });

  test('no tick or simulator file makes a step decision of its own', () => {
    const found: string[] = [];
    for (const [file, src] of tree) {
      if (EXEMPT.has(file) || /\.test\.tsx?$/.test(file)) continue;
      for (const use of stepPiecesUsed(src, file)) found.push(`${file}:${use}`);
    }
    expect(found).toEqual([]);
  });
});
