import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LockCompromisedError } from '../errors.js';
import { serializeCheckpoint, writeCheckpointFile } from './checkpoint-file.js';
import { encodeRecord } from './log-codec.js';
import { statePaths } from './paths.js';
import { openStore, type Store } from './store.js';
import { buildTask } from './test-builders.js';
import { cleanupHomes, hashTree, tmpHome } from './test-fs.js';
import { emptyState } from '../core/types.js';

const AT = new Date('2025-03-01T10:00:00.000Z');
const put = (i: number) => ({ type: 'task.put' as const, task: buildTask(i) });
const opened: Store[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  cleanupHomes();
});
async function openT(home: string, lockStaleMs = 2000): Promise<Store> {
  const s = await openStore(home, { lockStaleMs });
  opened.push(s);
  return s;
}
const ownerFile = (home: string) => path.join(statePaths(home).lock, 'owner.json');
const owner = (home: string) => JSON.parse(fs.readFileSync(ownerFile(home), 'utf8')) as { token: string; epoch: number; pid: number };
/** What a holder paused past the stale time looks like from outside: a refresh long ago. */
const backdate = (home: string) => {
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(ownerFile(home), old, old);
};

describe('the tick lock fences a holder that lost it', () => {
  it('a holder that is a dead process on this host is taken over at once, with a higher epoch', async () => {
    const home = tmpHome();
    const a = await openT(home);
    await a.append([put(1)], AT);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(ownerFile(home), JSON.stringify({ ...owner(home), pid: Number(dead), host: os.hostname() }));
    const b = await openT(home);
    expect(b.epoch).toBeGreaterThan(a.epoch);
    expect(b.seq).toBe(1);
  });

  it('after a takeover the old holder writes nothing: append, checkpoint, archive, fence all throw 75', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const a = await openT(home);
    await a.append([put(1)], AT);
    backdate(home);
    const b = await openT(home);
    expect(b.epoch).toBeGreaterThan(a.epoch);
    await b.append([put(2)], AT);
    const before = hashTree(p.dir);
    for (const write of [() => a.append([put(3)], AT), () => a.checkpoint(), () => a.archive(AT), async () => a.fence()]) {
      const err = await write().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockCompromisedError);
      expect((err as LockCompromisedError).exitCode).toBe(75);
      expect((err as Error).message).toMatch(/tick lock .* was lost \(another process \(pid \d+\) took it over\)/);
    }
    await a.close();
    expect(hashTree(p.dir)).toEqual(before); // not even the lock was touched
    expect(owner(home).epoch).toBe(b.epoch);
    await b.append([put(4)], AT);
  });

  it('replay skips records whose epoch is below one already seen (a fenced holder racing its last check)', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    fs.mkdirSync(p.dir, { recursive: true });
    const lines = [
      encodeRecord(1, AT.toISOString(), [put(1)], 3),
      encodeRecord(2, AT.toISOString(), [put(2)], 2),
      encodeRecord(2, AT.toISOString(), [put(3)], 3),
    ];
    fs.writeFileSync(p.log, lines.map((l) => l.line).join(''));
    const s = await openT(home);
    expect(s.report.fenced).toEqual([{ line: 2, seq: 2, ep: 2 }]);
    expect(Object.keys(s.state.tasks).sort()).toEqual([buildTask(1).key, buildTask(3).key].sort());
    expect(s.epoch).toBe(4);
  });

  it('a record under an epoch below the checkpoint is skipped, whatever its seq', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    fs.mkdirSync(p.dir, { recursive: true });
    fs.writeFileSync(p.checkpoint, serializeCheckpoint(5, emptyState(), 7));
    fs.writeFileSync(p.log, encodeRecord(6, AT.toISOString(), [put(1)], 6).line);
    const s = await openT(home);
    expect(s.report.fenced).toEqual([{ line: 1, seq: 6, ep: 6 }]);
    expect(s.state.tasks).toEqual({});
    expect(s.seq).toBe(5);
    expect(s.epoch).toBe(8);
  });

  it('bytes appended to the log behind the holder are moved to log.broken.jsonl before its next record', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const s = await openT(home);
    await s.append([put(1)], AT);
    const foreign = encodeRecord(2, AT.toISOString(), [put(9)], 1).line;
    fs.appendFileSync(p.log, foreign);
    await s.append([put(2)], AT);
    expect(fs.readFileSync(p.broken, 'utf8')).toBe(foreign);
    expect(s.report.foreignRemoved).toEqual([{ bytes: Buffer.byteLength(foreign), movedTo: p.broken }]);
    await s.close();
    const again = await openT(home);
    expect(Object.keys(again.state.tasks).sort()).toEqual([buildTask(1).key, buildTask(2).key].sort());
  });

  it('a holder stopped after its last check that finds records of a later epoch behind it leaves them alone', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const a = await openT(home);
    await a.append([put(1)], AT);
    // The new holder's record, as the stopped holder sees it on waking (its owner file not yet re-read).
    fs.appendFileSync(p.log, encodeRecord(2, AT.toISOString(), [put(2)], a.epoch + 1).line);
    const before = hashTree(p.dir);
    for (const write of [() => a.append([put(3)], AT), () => a.checkpoint()]) {
      const err = await write().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockCompromisedError);
      expect((err as Error).message).toMatch(new RegExp(`records of epoch ${a.epoch + 1} \\(ours is ${a.epoch}\\)`));
    }
    expect(hashTree(p.dir)).toEqual(before);
    expect(fs.existsSync(p.broken)).toBe(false);
  });
});

describe('a checkpoint renamed after the lock was lost is taken back', () => {
  const setup = () => {
    const home = tmpHome();
    const p = statePaths(home);
    fs.mkdirSync(p.dir, { recursive: true });
    fs.writeFileSync(p.checkpoint, serializeCheckpoint(5, emptyState(), 7));
    return p;
  };
  const lostAfter = (checks: number, onLoss: () => void = () => undefined) => {
    let n = 0;
    return () => {
      if (++n > checks) {
        onLoss();
        throw new LockCompromisedError('the tick lock was lost (test)');
      }
    };
  };

  it('the checkpoint it replaced goes back, and no temp file stays', async () => {
    const p = setup();
    const theirs = fs.readFileSync(p.checkpoint);
    const err = await writeCheckpointFile(p, serializeCheckpoint(9, emptyState(), 6), lostAfter(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockCompromisedError);
    expect(fs.readFileSync(p.checkpoint)).toEqual(theirs);
    expect(fs.readdirSync(p.dir).sort()).toEqual(['checkpoint.json', 'checkpoint.prev.json']);
  });

  it('a checkpoint the new holder renamed over ours in the meantime is kept', async () => {
    const p = setup();
    const newer = serializeCheckpoint(12, emptyState(), 8);
    const renameTheirs = () => {
      fs.writeFileSync(`${p.checkpoint}.theirs.tmp`, newer);
      fs.renameSync(`${p.checkpoint}.theirs.tmp`, p.checkpoint);
    };
    const err = await writeCheckpointFile(p, serializeCheckpoint(9, emptyState(), 6), lostAfter(1, renameTheirs)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockCompromisedError);
    expect(fs.readFileSync(p.checkpoint, 'utf8')).toBe(newer);
    expect(fs.readdirSync(p.dir).sort()).toEqual(['checkpoint.json', 'checkpoint.prev.json']);
  });

  it('a lock lost before the rename leaves the checkpoint and the directory as they were', async () => {
    const p = setup();
    const err = await writeCheckpointFile(p, serializeCheckpoint(9, emptyState(), 6), lostAfter(0)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockCompromisedError);
    expect(fs.readFileSync(p.checkpoint, 'utf8')).toBe(serializeCheckpoint(5, emptyState(), 7));
    expect(fs.readdirSync(p.dir).sort()).toEqual(['checkpoint.json', 'checkpoint.prev.json']);
  });
});
