import { beforeAll, describe, expect, test } from 'vitest';
import { coreViolations, impureUses } from './core-purity.js';
import { readSourceTree, type SourceTree } from './source-tree.js';

let tree: SourceTree;
beforeAll(async () => {
  tree = await readSourceTree(['src/core']);
});

describe('src/core is pure', () => {
  test('the fence finds every impure form, and nothing in comments, strings or property names', () => {
    const src = [
      "import fs from 'node:fs';",
      "import { readState } from '../store/store.js';",
      "import { createHash, randomUUID } from 'node:crypto';",
      'const a = Date.now();',
      'const b = new Date();',
      'const c = Math.random();',
      'const d = process.env.X;',
      'setTimeout(() => {}, 10);',
      'const e = performance.now();',
      "const ok = new Date('2025-01-01') && Date.parse(x) && o.process && { setTimeout: 1 } && createHash('sha256');",
      '// Date.now() and Math.random() in a comment; "process" in a string',
      "import { x } from './x.js';",
    ].join('\n');
    expect(impureUses(src, 'src/core/fixture.ts')).toEqual([
      '1: imports node:fs',
      '2: imports ../store/store.js',
      '3: randomUUID (randomness is an argument)',
      '4: Date.now (the time is an argument)',
      '5: new Date() (the time is an argument)',
      '6: Math.random (randomness is an argument)',
      '7: process',
      '8: setTimeout',
      '9: performance',
    ]);
  });

  test('the core files keep it', () => {
    expect([...tree.keys()].length).toBeGreaterThan(10);
    expect(coreViolations(tree)).toEqual([]);
  });

  test('an impure line added to a real core file fails the fence, with its line', () => {
    const file = 'src/core/scheduler.ts';
    const source = tree.get(file)!;
    const withClock = new Map([...tree, [file, `${source}\nexport const startedAt = Date.now();\n`]]);
    expect(coreViolations(withClock)).toEqual([`${file}:${source.split('\n').length + 1}: Date.now (the time is an argument)`]);
  });

  test('test code in src/core may use the clock (a test measures, the core does not)', () => {
    expect(coreViolations(new Map([['src/core/fixture.test.ts', 'const t = Date.now();']]))).toEqual([]);
  });
});
