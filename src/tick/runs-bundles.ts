import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runsDir } from './runs.js';

/**
 * Failure bundles kept once (README, Bounded disk). A backend that needs a person is re-probed
 * every few minutes for days, and each probe's bundle (screenshot, page HTML, classification) is
 * the same page again. So the tick moves every bundle the gateway wrote (`runs/<tick>/<request>/`)
 * to `runs/bundles/<hash>/`, named by its content, and a bundle whose content is already there is
 * dropped and counted in that folder's `seen.json` (count, first and last sighting, last request).
 * Fields that differ between identical failures (request id, time, duration) are left out of the
 * hash. A page that differs in any other byte (a clock, a token) is a different bundle, kept.
 */
export const BUNDLES_DIR = 'bundles';
const SEEN = 'seen.json';
/** classification.json fields that name one request rather than what the page showed. */
const VOLATILE = new Set(['requestId', 'at', 'durationMs']);

export interface BundleSeen {
  count: number;
  firstSeen: string;
  lastSeen: string;
  lastRequest: string;
}

function contentHash(dir: string): string {
  const h = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    let bytes: Buffer | string = readFileSync(join(dir, name));
    if (name === 'classification.json') {
      try {
        const o = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
        bytes = JSON.stringify(Object.fromEntries(Object.entries(o).filter(([k]) => !VOLATILE.has(k))));
      } catch {
        // not JSON: hashed as it is
      }
    }
    h.update(`${name}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex').slice(0, 16);
}

function readSeen(file: string): BundleSeen | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BundleSeen;
  } catch {
    return null;
  }
}

function writeSeen(file: string, seen: BundleSeen): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(seen, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

/**
 * Keeps the bundle at `dir` once: returns the folder that now holds it (`runs/bundles/<hash>`).
 * Never throws: a bundle that cannot be moved stays where the gateway wrote it, and that path is
 * returned (a failure to tidy must not hide the outcome).
 */
export function keepBundleOnce(home: string, dir: string, requestId: string, at: Date): string {
  try {
    const target = join(runsDir(home), BUNDLES_DIR, contentHash(dir));
    const seenFile = join(target, SEEN);
    const seen = existsSync(target) ? readSeen(seenFile) : null;
    if (seen !== null) {
      rmSync(dir, { recursive: true, force: true });
      writeSeen(seenFile, { ...seen, count: seen.count + 1, lastSeen: at.toISOString(), lastRequest: requestId });
    } else {
      mkdirSync(dirname(target), { recursive: true });
      rmSync(target, { recursive: true, force: true }); // a folder left without its seen.json by a crash
      renameSync(dir, target);
      writeSeen(seenFile, { count: 1, firstSeen: at.toISOString(), lastSeen: at.toISOString(), lastRequest: requestId });
    }
    try {
      rmdirSync(dirname(dir)); // the tick's bundle folder, once it holds no other bundle
    } catch {
      // not empty (another request's bundle) or gone
    }
    return target;
  } catch {
    return dir;
  }
}
