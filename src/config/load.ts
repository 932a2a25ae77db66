import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { FanoConfig } from './schema.js';
import { formatConfigIssues } from './issue-messages.js';
import { parseConfig } from './parse-config.js';
import { fileSiteCatalog } from './site-adapters.js';

/**
 * Reads `<home>/fano.config.yaml`. Runs on every tick (cron, each minute), so it imports only
 * `yaml`, zod and the schema, and reads nothing else: never state/.
 */

export const CONFIG_FILE_NAME = 'fano.config.yaml';

export { parseConfig } from './parse-config.js';
export type { ParseConfigResult } from './parse-config.js';

export function configPath(home: string): string {
  return join(home, CONFIG_FILE_NAME);
}

/** Throws ConfigError (exit 78) listing every issue as `file:line:col: key: message`, then a hint. */
export async function loadConfig(home: string): Promise<{ file: string; config: FanoConfig }> {
  const file = configPath(home);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ConfigError(`no ${CONFIG_FILE_NAME} in ${home}: run \`fano init ${home}\` to create one (or pass --home)`);
    }
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
  // The site adapters are read only for the browser backends the file configures.
  const { config, issues } = parseConfig(text, file, fileSiteCatalog(home));
  if (!config) throw new ConfigError(formatConfigIssues(issues), issues);
  return { file, config };
}
