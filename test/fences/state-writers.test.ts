import { describe, expect, test } from 'vitest';
import { readSourceTree } from './source-tree.js';
import { stateWriterViolations, writeCapabilities, WRITERS_OUTSIDE_STORE } from './state-writers.js';

describe('only src/store writes state/', () => {
  test('the scanner sees named, namespace and promise writes, and write-file-atomic', () => {
    expect(writeCapabilities("import { readFileSync, renameSync, writeFileSync as w } from 'node:fs';")).toEqual(['renameSync', 'writeFileSync']);
    expect(writeCapabilities("import fs from 'node:fs';\nfs.readFileSync(a);\nfs.promises.writeFile(a, b);\nfs.mkdirSync(d);")).toEqual([
      'mkdirSync',
      'writeFile',
    ]);
    expect(writeCapabilities("import writeFileAtomic from 'write-file-atomic';")).toEqual(['write-file-atomic']);
    expect(writeCapabilities("import { readFileSync } from 'node:fs';\n// fs.writeFileSync( in a comment is not an import")).toEqual([]);
  });

  test('the real tree: every writer outside src/store is listed and names no state/ path', async () => {
    const tree = await readSourceTree(['src']);
    expect(stateWriterViolations(tree)).toEqual([]);
    for (const file of Object.keys(WRITERS_OUTSIDE_STORE)) expect(tree.has(file), `${file} is listed but does not exist`).toBe(true);
  });

  test('the fence fires: the real tree plus a module writing seeds.yaml by itself fails, naming it', async () => {
    const tree = new Map(await readSourceTree(['src']));
    tree.set(
      'src/tick/sneaky-writer.ts',
      "import { writeFileSync } from 'node:fs';\nimport { join } from 'node:path';\nimport { SEEDS_PATH } from '../modules/seeds-file.js';\nexport const w = (home: string) => writeFileSync(join(home, SEEDS_PATH), 'seeds: []\\n');\n",
    );
    tree.set('src/tick/runs.ts', `${tree.get('src/tick/runs.ts')}\nexport const x = (home: string) => join(home, 'state', 'x.json');\n`);
    const v = stateWriterViolations(tree);
    expect(v).toHaveLength(2);
    expect(v[0]).toMatch(/^src\/tick\/runs\.ts: writes files and names a path under state\//);
    expect(v[1]).toMatch(/^src\/tick\/sneaky-writer\.ts: writes files \(writeFileSync\) outside src\/store/);
  });
});
