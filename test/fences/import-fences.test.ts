import { beforeAll, describe, expect, test } from 'vitest';
import { importViolations } from './import-rules.js';
import { importsOf, readSourceTree, type SourceTree } from './source-tree.js';

let tree: SourceTree;
beforeAll(async () => {
  tree = await readSourceTree(['src']);
});

describe('imports run downhill between the rooms of src/', () => {
  test('the scanner reads every import form, and only code', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "const d = await import('./d.js');",
      "// import { e } from './e.js';",
      'const s = "import { f } from \'./f.js\'";',
    ].join('\n');
    expect(importsOf(src)).toEqual([
      { spec: './a.js', line: 1 },
      { spec: '../b.js', line: 2 },
      { spec: './c.js', line: 3 },
      { spec: './d.js', line: 4 },
    ]);
  });

  test('the source tree keeps every rule', () => {
    expect(importViolations(tree)).toEqual([]);
  });

  // Each rule tests itself: the real tree plus one violating file fails, naming that file.
  test.each([
    ['core imports nothing outside core', 'src/core/fence-fixture.ts', "import type { FanoConfig } from '../config/schema.js';", 'core may not import config'],
    ['store imports only core', 'src/store/fence-fixture.ts', "import { enabledModules } from '../modules/index.js';", 'store may not import modules'],
    [
      'the gateway imports no module',
      'src/gateway/fence-fixture.ts',
      "import { explorerModule } from '../modules/explorer/index.js';",
      'gateway may not import modules',
    ],
    [
      'the gateway imports no tick code',
      'src/gateway/fetch/fence-fixture.ts',
      "const { runTick } = await import('../../tick/run-tick.js');",
      'gateway may not import tick',
    ],
    ['modules import no tick code', 'src/modules/fence-fixture.ts', "import { runTick } from '../tick/run-tick.js';", 'modules may not import tick'],
    [
      'modules import no store code',
      'src/modules/documenter/fence-fixture.ts',
      "import type { Store } from '../../store/store.js';",
      'modules may not import store',
    ],
    [
      "a module does not reach into another's files",
      'src/modules/documenter/fence-fixture.ts',
      "export { parseReview } from '../explorer/formats.js';",
      'reaches into the explorer module',
    ],
    [
      'modules/shared is beneath every module',
      'src/modules/shared/fence-fixture.ts',
      "import { blessedInsights } from '../explorer/index.js';",
      'modules/shared may not import a module',
    ],
    ['tui does not import cli', 'src/tui/fence-fixture.ts', "import { runStatus } from '../cli/status.js';", 'tui may not import cli'],
    [
      'production code never imports test code',
      'src/tick/fence-fixture.ts',
      "import { tmpHome } from '../store/test-fs.js';",
      'production code imports test code',
    ],
    ['a new room needs a rule first', 'src/newroom/fence-fixture.ts', 'export const x = 1;', 'src/newroom has no import rule'],
  ])('%s: an added violating import fails the fence', (_rule, file, source, reason) => {
    const found = importViolations(new Map([...tree, [file, source]]));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${file.replace(/\./g, '\\.')}(:1)?: ${reason}`));
  });

  test('allowed imports pass: a module through its public face, shared helpers, downhill rooms, tests', () => {
    const allowed = new Map([
      [
        'src/modules/documenter/fixture.ts',
        "import { blessedInsights } from '../explorer/index.js';\nimport { extractJson } from '../shared/answer-format.js';\nimport type { Module } from '../module.js';",
      ],
      ['src/modules/index.ts', "export { explorerModule } from './explorer/index.js';"],
      ['src/tick/fixture.ts', "import { researcherModule } from '../modules/researcher/researcher-module.js';\nimport { openStore } from '../store/store.js';"],
      ['src/tui/fixture.ts', "import { render } from 'ink';\nimport { buildStatus } from '../status/status-report.js';"],
      ['src/core/fixture.test.ts', "import { openStore } from '../store/store.js';"],
      ['src/cli/fixture.ts', "import { Dashboard } from '../tui/Dashboard.js';\nimport { runTick } from '../tick/run-tick.js';"],
    ]);
    expect(importViolations(allowed)).toEqual([]);
  });
});
