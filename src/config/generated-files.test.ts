import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { INIT_CONFIG_TEXT } from './init-template.js';
import { configJsonSchema, configJsonSchemaText } from './json-schema.js';

/**
 * /fano.config.yaml (the repo root is a ready home) and /fano.schema.json are committed copies of
 * generated text. To refresh both after changing the schema or the template:
 *   FANO_WRITE_GENERATED=1 npx vitest run src/config/generated-files.test.ts
 */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WRITE = process.env.FANO_WRITE_GENERATED === '1';

function expectFile(name: string, expected: string): void {
  const file = `${REPO_ROOT}${name}`;
  if (WRITE) writeFileSync(file, expected);
  expect(readFileSync(file, 'utf8'), `${name} is stale: regenerate with FANO_WRITE_GENERATED=1 (see this test's header)`).toBe(expected);
}

describe('committed generated files', () => {
  test('fano.config.yaml at the repo root is INIT_CONFIG_TEXT', () => {
    expectFile('fano.config.yaml', INIT_CONFIG_TEXT);
  });

  test('fano.schema.json is a fresh generation (sorted keys, 2-space indent, newline)', () => {
    expectFile('fano.schema.json', configJsonSchemaText());
  });
});

describe('configJsonSchema', () => {
  test('describes the input side: keys with defaults are optional, unknown keys are refused', () => {
    const schema = configJsonSchema() as {
      required?: string[];
      additionalProperties: unknown;
      properties: Record<string, { required?: string[]; properties?: Record<string, { default?: unknown }> }>;
    };
    expect(schema.required ?? []).toEqual([]);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.tick?.required ?? []).toEqual([]);
    expect(schema.properties.tick?.properties?.maxSeconds?.default).toBe(240);
  });

  test('backend entries are one of the three types, each requiring only its own required keys', () => {
    const text = configJsonSchemaText();
    const schema = JSON.parse(text) as {
      properties: { backends: { additionalProperties: { oneOf: { properties: { type: { const: string } }; required: string[] }[] } } };
    };
    const options = schema.properties.backends.additionalProperties.oneOf;
    expect(options.map((o) => o.properties.type.const)).toEqual(['mock', 'browser', 'openai']);
    expect(options.map((o) => o.required.sort())).toEqual([['type'], ['type'], ['baseUrl', 'model', 'type']]);
    expect(text.endsWith('}\n')).toBe(true);
  });
});
