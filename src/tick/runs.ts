import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TickInfo } from '../core/types.js';
import { onFile } from '../errors.js';

/** `20261123T181200Z-1a2b`: sorts by time, unique across overlapping attempts. */
export function newTickId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export function runsDir(home: string): string {
  return join(home, 'runs');
}

export function tickLogPath(home: string, tickId: string): string {
  return join(runsDir(home), `${tickId}.jsonl`);
}

export function bundleDir(home: string, tickId: string, requestId: string): string {
  return join(runsDir(home), tickId, requestId);
}

const LAST_TICK = 'last-tick.json';

export function writeLastTick(home: string, info: TickInfo): void {
  mkdirSync(runsDir(home), { recursive: true });
  const file = join(runsDir(home), LAST_TICK);
  const tmp = `${file}.${process.pid}.tmp`;
  onFile(file, () => writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n'));
  renameSync(tmp, file);
}

export function readLastTick(home: string): TickInfo | null {
  try {
    return JSON.parse(readFileSync(join(runsDir(home), LAST_TICK), 'utf8')) as TickInfo;
  } catch {
    return null;
  }
}
