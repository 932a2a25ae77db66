import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FanoEvent } from '../core/events.js';
import { stableStringify } from '../core/stable-json.js';
import { StateCorruptError } from '../errors.js';
import { statePaths } from './paths.js';
import { openStore, repairStore, verifyStore } from './store.js';
import { buildTask } from './test-builders.js';
import { cleanupHomes, hashTree, tmpHome } from './test-fs.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const at = (n: number): Date => new Date(T0 + n * 60_000);
const put = (i: number, attempts = 0): FanoEvent => ({ type: 'task.put', task: buildTask(i, { attempts }) });

afterEach(() => cleanupHomes());

/** Records 1..2 → checkpoint (C1) → 3..4 → checkpoint (C2, prev = C1) → 5..6 left in the log. */
async function busyHome(): Promise<{ home: string }> {
  const home = tmpHome();
  const s = await openStore(home);
  for (let n = 1; n <= 6; n++) {
    await s.append([put(n % 3, n)], at(n));
    if (n === 2 || n === 4) await s.checkpoint();
  }
  await s.close();
  return { home };
}

function flipByteOnLine(file: string, line: number): void {
  const buf = fs.readFileSync(file);
  let off = 0;
  for (let i = 1; i < line; i++) off = buf.indexOf(0x0a, off) + 1;
  buf[off + 50] = buf[off + 50]! ^ 0x04;
  fs.writeFileSync(file, buf);
}

describe('verifyStore', () => {
  it('reports a healthy home', async () => {
    const { home } = await busyHome();
    const r = await verifyStore(home);
    expect(r).toEqual({ ok: true, checkpointSeq: 4, pendingRecords: 2, tornTail: null, problems: [], warnings: [] });
  });

  it('reports a torn last record as ok, changing nothing', async () => {
    const { home } = await busyHome();
    const p = statePaths(home);
    fs.appendFileSync(p.log, '{"at":"2025-03-01T1');
    const before = hashTree(p.dir);
    const r = await verifyStore(home);
    expect(r.ok).toBe(true);
    expect(r.tornTail).toMatchObject({ line: 3 });
    expect(hashTree(p.dir)).toEqual(before);
  });

  it('reports a bad record before the last with file and line, changing nothing', async () => {
    const { home } = await busyHome();
    const p = statePaths(home);
    flipByteOnLine(p.log, 1);
    const before = hashTree(p.dir);
    const r = await verifyStore(home);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([{ file: p.log, line: 1, message: expect.stringMatching(/crc mismatch/) }]);
    expect(hashTree(p.dir)).toEqual(before);
  });

  it('reports an unreadable checkpoint and an unreadable prev', async () => {
    const { home } = await busyHome();
    const p = statePaths(home);
    fs.writeFileSync(p.checkpoint, '{ nope');
    fs.writeFileSync(p.prev, '');
    const r = await verifyStore(home);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ file: p.checkpoint, line: 1 });
    expect(r.warnings[0]).toContain('checkpoint.prev.json');
  });
});

describe('repairStore', () => {
  it('is a no-op on a healthy home', async () => {
    const { home } = await busyHome();
    const before = hashTree(statePaths(home).dir);
    const r = await repairStore(home);
    expect(r.changed).toBe(false);
    expect(r.kept).toEqual({ records: 2, fromSeq: 5, toSeq: 6 });
    expect(hashTree(statePaths(home).dir)).toEqual(before);
  });

  it('recovers from checkpoint.prev.json + the log when checkpoint.json is unreadable, reporting the gap', async () => {
    const { home } = await busyHome();
    const p = statePaths(home);
    fs.writeFileSync(p.checkpoint, '{"lastSeq": 4, "sta');
    await expect(openStore(home)).rejects.toBeInstanceOf(StateCorruptError);
    const r = await repairStore(home);
    expect(r).toMatchObject({ changed: true, base: 'checkpoint.prev', baseSeq: 2, kept: { records: 2, fromSeq: 5, toSeq: 6 } });
    expect(r.lost.gaps).toEqual([{ from: 3, to: 4 }]);
    expect(r.lost.checkpointMovedTo).toBe(p.brokenCheckpoint);
    expect(fs.readFileSync(p.brokenCheckpoint, 'utf8')).toBe('{"lastSeq": 4, "sta');
    expect(r.newCheckpointSeq).toBe(6);
    const s = await openStore(home);
    // Records 3..4 were rotated away with the broken checkpoint: C1 + records 5..6.
    expect(s.state.tasks[buildTask(2).key]!.attempts).toBe(5);
    expect(s.state.tasks[buildTask(0).key]!.attempts).toBe(6);
    expect(s.state.tasks[buildTask(1).key]!.attempts).toBe(1); // record 4 (attempts 4) is lost
    expect(s.seq).toBe(6);
    expect((await s.append([put(7)], at(7))).seq).toBe(7);
    await s.close();
    expect((await verifyStore(home)).ok).toBe(true);
  });

  it('recovers everything when the log still holds the records after prev (crash before truncation)', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const s = await openStore(home);
    await s.append([put(1, 1)], at(1));
    await s.checkpoint();
    await s.append([put(2, 2)], at(2));
    await s.append([put(1, 3)], at(3));
    const log = fs.readFileSync(p.log);
    await s.checkpoint();
    const expected = stableStringify(s.state);
    await s.close();
    fs.writeFileSync(p.log, log); // the truncation never happened
    fs.writeFileSync(p.checkpoint, 'garbage');
    const r = await repairStore(home);
    expect(r).toMatchObject({ base: 'checkpoint.prev', kept: { records: 2, fromSeq: 2, toSeq: 3 }, lost: { lines: 0, gaps: [] } });
    const again = await openStore(home);
    expect(stableStringify(again.state)).toBe(expected);
    await again.close();
  });

  it('keeps the records before a bad one and moves the rest to log.broken.jsonl', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const s = await openStore(home);
    const states: string[] = [];
    for (let n = 1; n <= 5; n++) {
      await s.append([put(n)], at(n));
      states.push(stableStringify(s.state));
    }
    await s.close();
    const lines = fs.readFileSync(p.log, 'utf8').split('\n');
    flipByteOnLine(p.log, 3);
    const damaged = fs.readFileSync(p.log, 'utf8').split('\n');
    const r = await repairStore(home);
    expect(r).toMatchObject({
      changed: true,
      base: 'checkpoint',
      kept: { records: 2, fromSeq: 1, toSeq: 2 },
      lost: { lines: 3, fromLine: 3, movedTo: p.broken },
    });
    expect(r.newCheckpointSeq).toBe(5); // seq numbers of lost records are never reused
    expect(fs.readFileSync(p.broken, 'utf8')).toBe(damaged.slice(2).join('\n'));
    expect(fs.readFileSync(p.log).length).toBe(0);
    const again = await openStore(home);
    expect(stableStringify(again.state)).toBe(states[1]);
    expect(again.seq).toBe(5);
    await again.close();
    expect(lines).toHaveLength(6);
  });

  it('rebuilds from the log alone when no checkpoint is readable', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const s = await openStore(home);
    await s.append([put(1)], at(1));
    await s.append([put(2)], at(2));
    const expected = stableStringify(s.state);
    await s.close();
    fs.writeFileSync(p.checkpoint, '[]');
    const r = await repairStore(home);
    expect(r).toMatchObject({ base: 'empty', kept: { records: 2 } });
    const again = await openStore(home);
    expect(stableStringify(again.state)).toBe(expected);
    await again.close();
  });
});
