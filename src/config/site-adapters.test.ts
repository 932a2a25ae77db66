import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parseLocator } from './locator-syntax.js';
import { builtInSitesDir, fileSiteCatalog, SiteAdapterError } from './site-adapters.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'fano-sites-'));
  await mkdir(path.join(home, 'sites'));
});
afterEach(() => rm(home, { recursive: true, force: true }));

const write = (name: string, text: string) => writeFile(path.join(home, 'sites', `${name}.yaml`), text);

function errorOf(fn: () => unknown): SiteAdapterError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SiteAdapterError) return e;
    throw e;
  }
  throw new Error('expected a SiteAdapterError');
}

describe('shipped site adapters', () => {
  test.each(['chatgpt', 'gemini', 'claude'])('%s is valid, dated, sourced, with a deep recipe and parseable locators', (name) => {
    const a = fileSiteCatalog(null).get(name);
    expect(a).not.toBeNull();
    expect(a!.builtIn).toBe(true);
    expect(a!.file).toBe(path.join(builtInSitesDir(), `${name}.yaml`));
    expect(a!.verifiedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(a!.source.length).toBeGreaterThan(20);
    expect(a!.deep?.on.length).toBeGreaterThan(0);
    for (const key of ['input', 'send', 'busy', 'response', 'done', 'userMessage'] as const) {
      const list = a!.selectors?.[key];
      expect(list, `${name} selectors.${key}`).toBeDefined();
      for (const l of Array.isArray(list) ? list : [list!]) expect(() => parseLocator(l)).not.toThrow();
    }
  });
  test('names lists the shipped ones', () => {
    expect(fileSiteCatalog(null).names()).toEqual(expect.arrayContaining(['chatgpt', 'claude', 'gemini']));
  });
});

describe('home adapters', () => {
  test('a home file adds a site', async () => {
    await write('mychat', 'version: 1\nverifiedAt: 2026-11-30\nsource: me\nurl: http://127.0.0.1:9/\nselectors:\n  input: textarea\n  response: .answer\n');
    const c = fileSiteCatalog(home);
    expect(c.names()).toContain('mychat');
    expect(c.get('mychat')).toMatchObject({ builtIn: false, url: 'http://127.0.0.1:9/', selectors: { input: 'textarea' } });
  });

  test('a home file that extends its own name changes only what it gives', async () => {
    await write('chatgpt', 'extends: chatgpt\nversion: 7\nselectors:\n  send: "#my-send"\n');
    const a = fileSiteCatalog(home).get('chatgpt')!;
    expect(a.version).toBe(7);
    expect(a.builtIn).toBe(false);
    expect(a.selectors?.send).toBe('#my-send');
    expect(a.selectors?.input).toContain('#prompt-textarea'); // inherited
    expect(a.chain).toEqual([path.join(builtInSitesDir(), 'chatgpt.yaml'), path.join(home, 'sites', 'chatgpt.yaml')]);
  });

  test('a home file of a shipped name without extends replaces it whole', async () => {
    await write('gemini', 'version: 2\nverifiedAt: 2026-11-30\nsource: me\nurl: http://127.0.0.1:9/\n');
    expect(fileSiteCatalog(home).get('gemini')?.selectors).toBeUndefined();
  });

  test('errors name the file, line, column and key, with did-you-mean', async () => {
    await write(
      'bad',
      'version: 1\nverifiedAt: 2026-11-30\nsource: me\nurl: http://127.0.0.1:9/\nselectors:\n  imput: textarea\n  busy: ["role=button[nam=/x/]"]\n',
    );
    const e = errorOf(() => fileSiteCatalog(home).get('bad'));
    const file = path.join(home, 'sites', 'bad.yaml');
    expect(e.issues).toEqual([
      expect.objectContaining({ file, line: 6, column: 3, key: 'selectors.imput', message: expect.stringContaining('did you mean "input"') }),
      expect.objectContaining({ file, line: 7, key: 'selectors.busy[0]', message: expect.stringContaining('unknown role attribute [nam]') }),
    ]);
  });

  test('a missing required key and an unknown extends are explained', async () => {
    await write('half', 'version: 1\nsource: me\nurl: http://127.0.0.1:9/\n');
    expect(errorOf(() => fileSiteCatalog(home).get('half')).message).toMatch(/half\.yaml:1:1: verifiedAt: required key is missing/);
    await write('orphan', 'extends: nosuch\n');
    expect(errorOf(() => fileSiteCatalog(home).get('orphan')).message).toMatch(/orphan\.yaml:1:10: extends: no adapter named "nosuch" \(there are: .*chatgpt/);
  });

  test('a recipe step with two actions, and ensure without state, are errors', async () => {
    await write('rec', 'extends: claude\ndeep:\n  on:\n    - click: a\n      press: Escape\n    - ensure: b\n');
    expect(errorOf(() => fileSiteCatalog(home).get('rec')).message).toMatch(
      /exactly one of click, choose, ensure, confirm, press, waitFor \(got click and press\)[\s\S]*ensure and state go together/,
    );
  });

  test('YAML syntax errors are placed too', async () => {
    await write('syn', 'version: 1\nurl: [oops\n');
    expect(errorOf(() => fileSiteCatalog(home).get('syn')).message).toMatch(/syn\.yaml:\d+:\d+: .*YAML syntax/);
  });

  test('an unknown name is null', () => {
    expect(fileSiteCatalog(home).get('nosuch')).toBeNull();
    expect(fileSiteCatalog(home).get('../etc/passwd')).toBeNull();
  });
});
