import fs from 'node:fs';
import path from 'node:path';
import { stableCompact } from '../core/stable-json.js';
import { TERMINAL_STATES } from '../core/types.js';
import type { FanoState, Task } from '../core/types.js';
import { appendDurable, fsyncDir } from './fsync.js';
import { statePaths } from './paths.js';

/**
 * state/archive/YYYY-MM.jsonl: terminal tasks moved out of the checkpoint, one sorted compact
 * JSON task per line, grouped by the month of finishedAt.
 *
 * Archiving appends the lines (fsynced) BEFORE the task.drop record is logged, so a task is never
 * only in neither place. A crash between the two leaves the tasks in both; the next archive run
 * appends them again. Readers therefore take the LAST line per key (readArchive does).
 */

/** Terminal tasks finished strictly before `cutoff`, sorted by key. */
export function selectArchivable(state: FanoState, cutoff: Date): Task[] {
  // fano writes times as toISOString() (fixed width, UTC), which order as strings: no Date.parse
  // per task on the every-minute path. Other valid ISO forms (hand-edited state) are parsed.
  const cut = cutoff.toISOString();
  const cutMs = cutoff.getTime();
  const out: Task[] = [];
  for (const key in state.tasks) {
    const t = state.tasks[key]!;
    const f = t.finishedAt;
    if (f === null || !TERMINAL_STATES.has(t.state)) continue;
    if (f.length === cut.length ? f < cut : Date.parse(f) < cutMs) out.push(t);
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Appends `tasks` (sorted by key) to their month files, fsynced. Returns the files written. */
export function appendToArchive(archiveDir: string, tasks: readonly Task[]): string[] {
  const byMonth = new Map<string, string[]>();
  for (const t of tasks) {
    const month = (t.finishedAt ?? '').slice(0, 7); // finishedAt is validated ISO: YYYY-MM
    const lines = byMonth.get(month) ?? [];
    lines.push(stableCompact(t));
    byMonth.set(month, lines);
  }
  const created = !fs.existsSync(archiveDir);
  if (created) {
    fs.mkdirSync(archiveDir, { recursive: true });
    fsyncDir(path.dirname(archiveDir));
  }
  const files: string[] = [];
  for (const month of [...byMonth.keys()].sort()) {
    const file = path.join(archiveDir, `${month}.jsonl`);
    const isNew = !fs.existsSync(file);
    appendDurable(file, byMonth.get(month)!.join('\n') + '\n');
    if (isNew) fsyncDir(archiveDir);
    files.push(file);
  }
  return files;
}

export interface ArchiveContents {
  /** The last archived version of each task, sorted by key. */
  tasks: Task[];
  /** Lines that did not parse (a line torn by a crash mid-append), as `file:line`. */
  badLines: string[];
}

/** Reads every archive file (oldest month first), keeping the last line per key. */
export async function readArchive(home: string): Promise<ArchiveContents> {
  const dir = statePaths(home).archiveDir;
  let names: string[];
  try {
    names = (await fs.promises.readdir(dir)).filter((n) => /^\d{4}-\d{2}\.jsonl$/.test(n)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { tasks: [], badLines: [] };
    throw e;
  }
  const byKey = new Map<string, Task>();
  const badLines: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const lines = (await fs.promises.readFile(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (line === '') return;
      try {
        const t = JSON.parse(line) as Task;
        if (typeof t?.key !== 'string') throw new Error('no key');
        byKey.set(t.key, t);
      } catch {
        badLines.push(`${file}:${i + 1}`);
      }
    });
  }
  const tasks = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { tasks, badLines };
}
