import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { removeTempHomes, tempHome } from '../../test/support/temp-home.js';

/** An empty temp home for store tests; `cleanupHomes()` removes every home made since the last call. */
export const tmpHome = (): string => tempHome({}, 'fano-store-');
export const cleanupHomes = removeTempHomes;

/** name -> sha256 of every file under `dir` (recursive), to prove a command changed nothing. */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}
