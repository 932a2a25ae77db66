import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/** The home: --home DIR, else $FANO_HOME, else the current directory (README, Commands). */
export function resolveHome(flag: string | undefined): string {
  return resolve(flag ?? process.env.FANO_HOME ?? process.cwd());
}

/**
 * Every command but `init` runs on a home: a folder that is not one (a mistyped --home in a cron
 * line) is an error, exit 78, never an "ok" about an empty state.
 */
export function requireHome(dir: string): string {
  if (!existsSync(join(dir, 'fano.config.yaml')))
    throw new ConfigError(`${dir} is not a fano home (it has no fano.config.yaml): run \`fano init\` to make one there, or pass --home DIR`);
  return dir;
}
