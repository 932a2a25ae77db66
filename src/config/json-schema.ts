import { z } from 'zod';
import { stableStringify } from '../core/stable-json.js';
import { configSchema } from './schema.js';

/**
 * The JSON schema of fano.config.yaml, for editors (yaml-language-server) and `fano config
 * schema`. The input side: keys with defaults are optional, as they are in the file.
 * The committed /fano.schema.json is this output; a test keeps the two equal.
 */

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    title: 'fano.config.yaml',
    description: 'Configuration of a fano home. Every key is optional; defaults are shown by `fano init`.',
  };
}

/** The exact bytes of fano.schema.json: sorted keys, 2-space indent, trailing newline. */
export function configJsonSchemaText(): string {
  return stableStringify(configJsonSchema());
}
