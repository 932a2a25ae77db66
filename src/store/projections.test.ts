import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { emptyState, type FanoState } from '../core/types.js';
import type { ProjectionSpec } from '../core/projection-spec.js';
import { projectionFileName, writeProjections } from './projections.js';

const spec: ProjectionSpec = {
  module: 'm',
  collection: 'docs',
  dir: 'state/m/docs',
  ext: '.json',
  render: (id, doc) => `${JSON.stringify({ id, doc })}\n`,
  merge: (current, rendered) => (current.includes('KEEP') && !rendered.includes('KEEP') ? `${rendered}KEEP\n` : rendered),
};

function stateWith(docs: Record<string, string>): FanoState {
  const s = emptyState();
  s.modules.m = { docs };
  return s;
}

describe('projections', () => {
  test('one file per document, rewritten only when its bytes change, removed with its document', () => {
    const home = tempHome({}, 'fano-proj-');
    const dir = join(home, spec.dir);
    const r1 = writeProjections(home, stateWith({ a: 'x', b: 'y' }), [spec]);
    expect(r1.written).toHaveLength(2);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('{"id":"a","doc":"x"}\n');
    const mtime = statSync(join(dir, 'a.json')).mtimeMs;
    const r2 = writeProjections(home, stateWith({ a: 'x', b: 'z' }), [spec]);
    expect(r2.written).toEqual([join(spec.dir, 'b.json')]);
    expect(statSync(join(dir, 'a.json')).mtimeMs).toBe(mtime);
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    writeFileSync(join(dir, '.a.json.123.tmp'), 'torn');
    const r3 = writeProjections(home, stateWith({ b: 'z' }), [spec]);
    expect(r3.deleted).toEqual([join(spec.dir, 'a.json')]);
    expect(readdirSync(dir).sort()).toEqual(['b.json', 'notes.txt']);
  });

  test('merge keeps what a person added to the file', () => {
    const home = tempHome({}, 'fano-proj-');
    writeProjections(home, stateWith({ a: 'x' }), [spec]);
    const file = join(home, spec.dir, 'a.json');
    writeFileSync(file, `${readFileSync(file, 'utf8')}KEEP\n`);
    writeProjections(home, stateWith({ a: 'x2' }), [spec]);
    expect(readFileSync(file, 'utf8')).toBe('{"id":"a","doc":"x2"}\nKEEP\n');
  });

  test('unsafe ids never escape the folder', () => {
    expect(projectionFileName('../../etc/passwd', '.md')).toMatch(/^id-[0-9a-f]{16}\.md$/);
    expect(projectionFileName('i-abc', '.md')).toBe('i-abc.md');
    const home = tempHome({}, 'fano-proj-');
    writeProjections(home, stateWith({ '../evil': 'x' }), [spec]);
    expect(existsSync(join(home, 'state/m/evil.json'))).toBe(false);
    expect(readdirSync(join(home, spec.dir))).toHaveLength(1);
  });
});
