import { stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import { configJsonSchema } from '../config/json-schema.js';
import { stableStringify } from '../core/stable-json.js';

export async function runConfigCheck(opts: { home: string; json: boolean; out: (s: string) => void }): Promise<number> {
  const { file, config } = await loadConfig(opts.home);
  if (opts.json) opts.out(stableStringify(config));
  else opts.out(`# ${file}: valid. Effective config (defaults filled in):\n${stringify(config)}`);
  return 0;
}

export async function runConfigSchema(opts: { out: (s: string) => void }): Promise<number> {
  opts.out(stableStringify(configJsonSchema()));
  return 0;
}
