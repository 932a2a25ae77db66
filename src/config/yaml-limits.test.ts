import { describe, expect, test } from 'vitest';
import { parseSeeds } from '../modules/seeds-file.js';
import { parseSources } from '../modules/researcher/sources-file.js';
import { parseConfig } from './parse-config.js';
import { YAML_LIMITS } from './yaml-document.js';

/**
 * Hostile input is input: every YAML file fano reads (config, site adapters, seeds, sources) goes
 * through one parser with limits, and each way past a limit is an issue at its file:line, never a
 * crash (no ReferenceError, no RangeError).
 */

const BOMB =
  'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n';
const FLOW_DEEP = `tick: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
const BLOCK_DEEP = `tick:\n${Array.from({ length: 100 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`;
const DASH_DEEP = `seeds:\n  ${'- '.repeat(3000)}x\n`;

describe('YAML limits', () => {
  test('an alias bomb in the config is exit-78 material at the first alias, not an internal error', () => {
    const r = parseConfig(BOMB, 'fano.config.yaml');
    expect(r.config).toBeNull();
    expect(r.issues).toEqual([expect.objectContaining({ file: 'fano.config.yaml', line: 2, message: expect.stringMatching(/aliases expand too far/) })]);
  });

  test('nesting past the limit, in flow or block style, is one issue with its line', () => {
    for (const text of [FLOW_DEEP, BLOCK_DEEP]) {
      const r = parseConfig(text, 'fano.config.yaml');
      expect(r.config).toBeNull();
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0]).toMatchObject({
        line: expect.any(Number),
        message: expect.stringMatching(new RegExp(`nested too deeply \\(more than ${YAML_LIMITS.maxDepth} levels\\)`)),
      });
    }
  });

  test('a file over the size limit is refused before parsing', () => {
    const r = parseConfig(`# ${'x'.repeat(YAML_LIMITS.maxBytes)}\n`, 'fano.config.yaml');
    expect(r.issues[0]?.message).toMatch(/at most 4194304 bytes/);
  });

  test('seeds and sources: the same limits, as problems with line and fix', () => {
    for (const text of [BOMB.replace('a:', 'seeds:\n  - x\na:'), DASH_DEEP, FLOW_DEEP.replace('tick', 'seeds')]) {
      let err: unknown;
      try {
        parseSeeds(text);
      } catch (e) {
        err = e;
      }
      expect((err as { problem?: unknown }).problem).toMatchObject({ file: 'state/explorer/seeds.yaml', line: expect.any(Number), fix: expect.any(String) });
    }
    expect(() => parseSources(BOMB)).toThrow(/sources\.yaml:\d+: YAML aliases expand too far/);
  });
});

describe('config map keys that name modules and task types', () => {
  test.each([
    ['scheduler:\n  weights:\n    reseacher: 10\n', 3, 'scheduler.weights.reseacher', 'no module "reseacher" (did you mean "researcher"?)'],
    ['quotas:\n  deepReserves:\n    documentr: 1\n', 3, 'quotas.deepReserves.documentr', 'no module "documentr" (did you mean "documenter"?)'],
    [
      'scheduler:\n  taskTypes:\n    exploraton: {basePriority: 60}\n',
      3,
      'scheduler.taskTypes.exploraton',
      'no task type "exploraton" (did you mean "exploration"?)',
    ],
  ])('%s is an error at its key with did-you-mean', (text, line, key, message) => {
    const r = parseConfig(text, 'fano.config.yaml');
    expect(r.config).toBeNull();
    expect(r.issues).toEqual([expect.objectContaining({ line, key, message: expect.stringContaining(message) })]);
  });

  test('known names pass', () => {
    expect(
      parseConfig(
        'scheduler:\n  weights: {explorer: 1, documenter: 2, researcher: 1, consultation: 1}\n  taskTypes: {review: {basePriority: 60}}\nquotas:\n  deepReserves: {explorer: 1}\n',
        'f',
      ).issues,
    ).toEqual([]);
  });
});

describe('indentation errors name the key on that line', () => {
  test('a key indented deeper than its sibling', () => {
    const r = parseConfig('tick:\n  maxSeconds: 100\n   maxRequests: 5\n', 'fano.config.yaml');
    expect(r.issues).toEqual([
      expect.objectContaining({ line: 3, key: 'tick.maxRequests', message: expect.stringMatching(/deeper than "maxSeconds" on line 2/) }),
    ]);
  });

  test('a key indented less than its siblings', () => {
    const r = parseConfig('backends:\n  mock:\n    type: mock\n   latencyMs: 5\n', 'fano.config.yaml');
    expect(r.issues).toEqual([
      expect.objectContaining({ line: 4, key: 'backends.mock.latencyMs', message: expect.stringMatching(/indented 3 spaces, the keys beside it 4/) }),
    ]);
  });
});
