import { resolve } from 'node:path';

/** The home: --home DIR, else $FANO_HOME, else the current directory (README, Commands). */
export function resolveHome(flag: string | undefined): string {
  return resolve(flag ?? process.env.FANO_HOME ?? process.cwd());
}
