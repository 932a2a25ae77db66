import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The one way tests make a fano home: a new temporary folder holding `files` (paths relative to
 * it, '/'-separated, mapped to their text; folders are made as needed). Every folder made is
 * remembered until removeTempHomes() deletes it.
 */
const made: string[] = [];

export function tempHome(files: Readonly<Record<string, string>> = {}, prefix = 'fano-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

/** Deletes every home tempHome made in this process since the last call. */
export function removeTempHomes(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}
