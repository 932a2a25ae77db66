import { describe, expect, test } from 'vitest';
import { importSpecifiers, readSourceTree } from './source-tree.js';

/**
 * Only the gateway drives browsers (the single place that holds browser sessions): no file under
 * these folders may import Playwright, statically, dynamically or via require.
 */
const GUARDED = ['src/modules', 'src/core', 'src/tick', 'src/store'];

function playwrightImports(source: string): string[] {
  return importSpecifiers(source).filter((spec) => /^(@playwright\/|playwright(-core|-chromium)?(\/|$))/.test(spec));
}

describe('no Playwright outside the gateway', () => {
  test('the scanner finds every import form', () => {
    const src = [
      "import { chromium } from 'playwright-core';",
      'import type { Page } from "playwright";',
      "const pw = await import('playwright-core');",
      "const x = require('@playwright/test');",
      "import 'playwright-core/lib/server';",
      "import { z } from 'zod'; // playwright-core mentioned in a comment is fine",
    ].join('\n');
    expect(playwrightImports(src)).toEqual(['playwright-core', 'playwright', 'playwright-core', '@playwright/test', 'playwright-core/lib/server']);
  });

  test.each(GUARDED)('%s imports no playwright', async (dir) => {
    const offenders: string[] = [];
    for (const [file, source] of await readSourceTree([dir])) {
      const hits = playwrightImports(source);
      if (hits.length > 0) offenders.push(`${file}: ${hits.join(', ')}`);
    }
    expect(offenders).toEqual([]);
  });
});
