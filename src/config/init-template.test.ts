import { isMap, isPair, isScalar, isSeq, parse, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import { describe, expect, test } from 'vitest';
import { INIT_CONFIG_TEXT } from './init-template.js';
import { parseConfig } from './parse-config.js';
import { configSchema } from './schema.js';

/**
 * The template documents the defaults, so it must not drift from the schema: these tests fail
 * when a default, a key or a "(default X)" comment disagrees with schema.ts.
 */

type Path = string[];
const DEFAULT_COMMENT = /\(default (.*)\)\s*$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function getIn(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (isPlainObject(v) ? v[k] : undefined), value);
}

function withoutKey(value: unknown, path: Path): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const parent = getIn(copy, path.slice(0, -1));
  if (isPlainObject(parent)) delete parent[path[path.length - 1]!];
  return copy;
}

/** Leaf paths of the default config (empty maps count as leaves: they are shown as `{}`). */
function leaves(value: unknown, path: Path = []): Path[] {
  if (isPlainObject(value) && Object.keys(value).length > 0 && path[path.length - 1] !== 'weights') {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [path];
}

/** Every key: value pair whose value is a scalar or a flow collection, with its comment. */
function leafPairs(node: unknown, path: Path = []): { path: Path; comment: string | undefined }[] {
  if (!isMap(node)) return [];
  return node.items.flatMap((pair) => {
    if (!isPair(pair) || !isScalar(pair.key)) return [];
    const childPath = [...path, String(pair.key.value)];
    const value = pair.value as Node | null;
    const flow = (isMap(value) || isSeq(value)) && value.flow === true;
    if (isScalar(value) || flow) return [{ path: childPath, comment: value?.comment ?? undefined }];
    return leafPairs(value, childPath);
  });
}

/** The template with its commented-out backend examples switched on. */
function withExamplesUncommented(text: string): string {
  const start = text.indexOf('\nbackends:\n');
  const end = text.indexOf('\nbrowser:\n');
  const section = text
    .slice(start, end)
    .split('\n')
    .map((line) => line.replace(/^ {2}# (?=chatgpt:|local:| {2})/, '  '))
    .join('\n');
  return text.slice(0, start) + section + text.slice(end);
}

/** Checks every "(default X)" comment against the schema default of its key. */
function checkDefaultComments(text: string): number {
  const doc = parseDocument(text);
  const raw = doc.toJS() as Record<string, unknown>;
  let checked = 0;
  for (const { path, comment } of leafPairs(doc.contents)) {
    const match = comment ? DEFAULT_COMMENT.exec(comment) : null;
    if (!match) continue;
    // The schema's default for this key, in the context of this very file (backend type etc).
    const defaults = configSchema.parse(withoutKey(raw, path));
    expect(getIn(defaults, path), `comment "(default ${match[1]})" of ${path.join('.')}`).toEqual(parse(match[1]!));
    checked += 1;
  }
  return checked;
}

describe('INIT_CONFIG_TEXT', () => {
  test('parses with no issues into exactly the default config', () => {
    const { config, issues } = parseConfig(INIT_CONFIG_TEXT, 'fano.config.yaml');
    expect(issues).toEqual([]);
    expect(config).toEqual(configSchema.parse({}));
  });

  test('shows every default key with its default value (a schema key missing here fails)', () => {
    const raw = parse(INIT_CONFIG_TEXT) as unknown;
    const defaults = configSchema.parse({});
    for (const path of leaves(defaults)) {
      expect(getIn(raw, path), `${path.join('.')} shown in the template`).toEqual(getIn(defaults, path));
    }
  });

  test('every "(default X)" comment states the schema default', () => {
    expect(checkDefaultComments(INIT_CONFIG_TEXT)).toBeGreaterThan(40);
  });

  test('every key that has a default carries a one-line "(default X)" comment', () => {
    const doc = parseDocument(INIT_CONFIG_TEXT);
    const raw = doc.toJS() as unknown;
    const undocumented = leafPairs(doc.contents)
      .filter(({ path }) => configSchema.safeParse(withoutKey(raw, path)).success)
      .filter(({ comment }) => !comment || !DEFAULT_COMMENT.test(comment))
      .map(({ path }) => path.join('.'));
    expect(undocumented).toEqual([]);
  });

  test('the commented-out chatgpt and openai examples are valid once uncommented', () => {
    const text = withExamplesUncommented(INIT_CONFIG_TEXT);
    const { config, issues } = parseConfig(text, 'fano.config.yaml');
    expect(issues).toEqual([]);
    expect(config?.backends.chatgpt).toMatchObject({ type: 'browser', site: 'chatgpt', url: 'https://chatgpt.com/' });
    expect(config?.backends.local).toMatchObject({ type: 'openai', model: 'llama-3.1-8b-instruct', apiKeyEnv: 'OPENAI_API_KEY' });
    // The browser example's quota keys default to its site adapter's, so they carry no "(default X)".
    expect(checkDefaultComments(text)).toBeGreaterThan(checkDefaultComments(INIT_CONFIG_TEXT) + 8);
  });

  test('points at `fano config schema` instead of a schema file the home does not have', () => {
    expect(INIT_CONFIG_TEXT).toContain('`fano config schema`');
    expect(INIT_CONFIG_TEXT.split('\n')[0]).not.toMatch(/\$schema=/);
  });
});
