import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stableCompact } from '../core/stable-json.js';
import { appendToArchive, readArchive } from './archive.js';
import { statePaths } from './paths.js';
import { openStore } from './store.js';
import { buildTask } from './test-builders.js';
import { cleanupHomes, tmpHome } from './test-fs.js';

afterEach(() => cleanupHomes());

const NOW = new Date('2025-03-10T00:00:00.000Z');
const done = (i: number, finishedAt: string, state: 'completed' | 'failed' = 'completed') => buildTask(i, { state, finishedAt });

describe('archive', () => {
  it('moves terminal tasks finished before the cutoff to state/archive/YYYY-MM.jsonl and drops them', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const s = await openStore(home, { now: () => NOW });
    const old1 = done(11, '2025-01-31T23:59:59.000Z');
    const old2 = done(4, '2025-02-02T00:00:00.000Z', 'failed');
    const old3 = done(2, '2025-02-01T00:00:00.000Z');
    const recent = done(5, '2025-03-09T00:00:00.000Z');
    const active = buildTask(6, { state: 'pending', finishedAt: null });
    await s.append(
      [old1, old2, old3, recent, active].map((task) => ({ type: 'task.put' as const, task })),
      NOW,
    );
    const n = await s.archive(new Date('2025-03-01T00:00:00.000Z'));
    expect(n).toBe(3);
    expect(Object.keys(s.state.tasks).sort()).toEqual([recent.key, active.key].sort());
    expect(fs.readdirSync(p.archiveDir).sort()).toEqual(['2025-01.jsonl', '2025-02.jsonl']);
    const feb = fs.readFileSync(path.join(p.archiveDir, '2025-02.jsonl'), 'utf8');
    const sorted = [old2, old3].sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(feb).toBe(sorted.map((t) => stableCompact(t)).join('\n') + '\n');
    // The drop is a logged record: it survives a reload.
    expect(s.seq).toBe(2);
    await s.close();
    const again = await openStore(home);
    expect(Object.keys(again.state.tasks)).toHaveLength(2);
    expect(await again.archive(new Date('2025-03-01T00:00:00.000Z'))).toBe(0);
    await again.close();
    const read = await readArchive(home);
    expect(read.tasks.map((t) => t.key)).toEqual([old1, old2, old3].map((t) => t.key).sort());
    expect(read.tasks.find((t) => t.key === old2.key)).toEqual(old2);
  });

  it('readArchive keeps the last line per key (a crash between append and drop duplicates lines)', async () => {
    const home = tmpHome();
    const dir = statePaths(home).archiveDir;
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const first = done(1, '2025-02-01T00:00:00.000Z');
    const second = { ...first, result: 'newer' };
    appendToArchive(dir, [first, done(2, '2025-02-03T00:00:00.000Z')]);
    appendToArchive(dir, [second]);
    const read = await readArchive(home);
    expect(read.tasks).toHaveLength(2);
    expect(read.tasks.find((t) => t.key === first.key)!.result).toBe('newer');
  });

  it('a line torn by a crash neither glues onto the next append nor hides other lines', async () => {
    const home = tmpHome();
    const dir = statePaths(home).archiveDir;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '2025-02.jsonl'), '{"key":"half');
    appendToArchive(dir, [done(1, '2025-02-01T00:00:00.000Z')]);
    const read = await readArchive(home);
    expect(read.tasks.map((t) => t.key)).toEqual([buildTask(1).key]);
    expect(read.badLines).toEqual([`${path.join(dir, '2025-02.jsonl')}:1`]);
  });

  it('a home without an archive reads as empty', async () => {
    expect(await readArchive(tmpHome())).toEqual({ tasks: [], badLines: [] });
  });
});
