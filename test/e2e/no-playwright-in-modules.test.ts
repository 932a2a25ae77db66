import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

/**
 * Only the gateway drives browsers (review: "make LLMGateway the only place that has access to
 * browser sessions"): no file under these folders may import Playwright, statically, dynamically
 * or via require. Scans the source text for import specifiers.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const GUARDED = ['src/modules', 'src/core', 'src/tick', 'src/store'];
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"`])([^'"`]+)\1/g;

function playwrightImports(source: string): string[] {
  const hits: string[] = [];
  for (const m of source.matchAll(SPECIFIER)) {
    const spec = m[2] ?? '';
    if (/^(@playwright\/|playwright(-core|-chromium)?(\/|$))/.test(spec)) hits.push(spec);
  }
  return hits;
}

async function sourceFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return []; // a folder that does not exist yet imports nothing
  }
  return entries.filter((e) => e.isFile() && /\.(c|m)?[jt]sx?$/.test(e.name)).map((e) => path.join(e.parentPath, e.name));
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
    for (const file of await sourceFiles(path.join(ROOT, dir))) {
      const hits = playwrightImports(await readFile(file, 'utf8'));
      if (hits.length > 0) offenders.push(`${path.relative(ROOT, file)}: ${hits.join(', ')}`);
    }
    expect(offenders).toEqual([]);
  });
});
