import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Temp homes for store tests; `cleanup()` removes every home made since the last call. */
const made: string[] = [];
export function tmpHome(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fano-store-'));
  made.push(dir);
  return dir;
}
export function cleanupHomes(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

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
