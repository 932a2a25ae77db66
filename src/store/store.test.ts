import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FanoEvent } from '../core/events.js';
import { stableCompact, stableStringify } from '../core/stable-json.js';
import { emptyBackendState } from '../core/types.js';
import { StateCorruptError } from '../errors.js';
import { encodeRecord } from './log-codec.js';
import { STATE_GITIGNORE, statePaths } from './paths.js';
import { openStore, readState } from './store.js';
import type { Store } from './store.js';
import { buildState, buildTask } from './test-builders.js';
import { cleanupHomes, hashTree, tmpHome } from './test-fs.js';

const T0 = new Date('2025-03-01T10:00:00.000Z');
const at = (min: number): Date => new Date(T0.getTime() + min * 60_000);
const put = (i: number, over: Parameters<typeof buildTask>[1] = {}): FanoEvent => ({ type: 'task.put', task: buildTask(i, over) });

const open: Store[] = [];
async function openT(home: string, opts: Parameters<typeof openStore>[1] = {}): Promise<Store> {
  const s = await openStore(home, opts);
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  cleanupHomes();
});

function logLines(home: string): string[] {
  return fs.readFileSync(statePaths(home).log, 'utf8').split('\n').filter(Boolean);
}

describe('openStore on a fresh home', () => {
  it('creates state/ with its .gitignore and starts empty at seq 0', async () => {
    const home = tmpHome();
    const s = await openT(home);
    expect(fs.readFileSync(path.join(home, 'state', '.gitignore'), 'utf8')).toBe(STATE_GITIGNORE);
    expect(s.seq).toBe(0);
    expect(s.checkpointSeq).toBe(0);
    expect(Object.keys(s.state.tasks)).toEqual([]);
    expect(s.report).toEqual({ checkpointSeq: 0, replayed: 0, skipped: 0, tornTail: null, orphansRemoved: [], fenced: [], foreignRemoved: [] });
    expect(s.epoch).toBe(1);
  });

  it('STATE_GITIGNORE matches the repository state/.gitignore', () => {
    const repoFile = new URL('../../state/.gitignore', import.meta.url);
    expect(fs.readFileSync(repoFile, 'utf8')).toBe(STATE_GITIGNORE);
  });
});

describe('append and reload', () => {
  it('writes one CRC line per record and replays it on reload', async () => {
    const home = tmpHome();
    const s = await openT(home);
    const r1 = await s.append([put(1), put(2)], at(1));
    const r2 = await s.append([{ type: 'backend.put', name: 'mock', backend: { ...emptyBackendState(), totalRequests: 3 } }], at(2));
    expect([r1.seq, r2.seq]).toEqual([1, 2]);
    const lines = logLines(home);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\{"at":"2025-03-01T10:01:00.000Z","crc":"[0-9a-f]{8}","ep":1,"events":\[.*\],"seq":1\}$/);
    const before = stableStringify(s.state);
    await s.close();

    const again = await openT(home);
    expect(again.seq).toBe(2);
    expect(again.report.replayed).toBe(2);
    expect(stableStringify(again.state)).toBe(before);
  });

  it('applies the events as written to disk (re-parsed: no undefined, not the caller objects)', async () => {
    const home = tmpHome();
    const s = await openT(home);
    const task = buildTask(7, { result: { kept: 1, gone: undefined as unknown as null } });
    await s.append([{ type: 'task.put', task }], at(0));
    const inMemory = s.state.tasks[task.key]!;
    expect(inMemory).not.toBe(task); // the re-parsed copy, not the caller's object
    expect(Object.keys(inMemory.result as object)).toEqual(['kept']);
    task.state = 'failed'; // mutating the caller's object afterwards changes nothing
    expect(s.state.tasks[task.key]!.state).toBe(buildTask(7).state);
  });

  it('refuses an invalid event without touching the log or the seq', async () => {
    const home = tmpHome();
    const s = await openT(home);
    await s.append([put(1)], at(0));
    const bad = { type: 'task.put', task: { ...buildTask(2), state: 'done' } } as unknown as FanoEvent;
    await expect(s.append([bad], at(1))).rejects.toThrow(/state/);
    expect(s.seq).toBe(1);
    expect(logLines(home)).toHaveLength(1);
    expect((await s.append([put(3)], at(2))).seq).toBe(2);
  });

  it('round-trips dates and enums as the same strings', async () => {
    const home = tmpHome();
    const s = await openT(home);
    const t = buildTask(4, { state: 'completed', finishedAt: '2025-02-01T00:00:00.123Z' });
    await s.append([{ type: 'task.put', task: t }], at(0));
    await s.checkpoint();
    await s.close();
    const r = await openT(home);
    expect(r.state.tasks[t.key]).toEqual(t);
    expect(typeof r.state.tasks[t.key]!.createdAt).toBe('string');
  });
});

describe('checkpoint and rotation', () => {
  it('writes sorted, indented, newline-terminated JSON and empties the log; seq continues', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const s = await openT(home);
    await s.append([put(1)], at(0));
    await s.append([put(2)], at(1));
    await s.checkpoint();
    expect(s.checkpointSeq).toBe(2);
    expect(fs.readFileSync(p.log).length).toBe(0);
    const text = fs.readFileSync(p.checkpoint, 'utf8');
    expect(text).toBe(stableStringify({ epoch: 1, lastSeq: 2, state: s.state }));
    expect(fs.existsSync(p.prev)).toBe(false); // nothing to keep on the first checkpoint
    await s.append([put(3)], at(2));
    await s.checkpoint();
    expect(fs.readFileSync(p.prev, 'utf8')).toBe(text); // the previous checkpoint is kept
    await s.close();

    const r = await openT(home);
    expect([r.checkpointSeq, r.seq, r.report.replayed]).toEqual([3, 3, 0]);
    expect((await r.append([put(4)], at(3))).seq).toBe(4);
  });

  it('does not rewrite an unchanged checkpoint', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const s = await openT(home);
    await s.append([put(1)], at(0));
    await s.checkpoint();
    const ino = fs.statSync(p.checkpoint).ino;
    await s.checkpoint();
    expect(fs.statSync(p.checkpoint).ino).toBe(ino);
    expect(fs.existsSync(p.prev)).toBe(false);
  });

  it('gives the same bytes for the same state built in a different order', async () => {
    const events: FanoEvent[] = [
      put(1),
      put(2),
      put(3),
      { type: 'module.put', module: 'explorer', collection: 'seeds', id: 'b', doc: { z: 1, a: [{ y: 2, x: 1 }] } },
      { type: 'module.put', module: 'documenter', collection: 'sections', id: 'a', doc: 'text' },
      { type: 'backend.put', name: 'zeta', backend: emptyBackendState() },
      { type: 'backend.put', name: 'alpha', backend: emptyBackendState() },
      { type: 'meta.put', key: 'passes', value: { researcher: 1, explorer: 2 } },
    ];
    const bytes: string[] = [];
    for (const order of [events, [...events].reverse(), [events[5]!, events[3]!, events[0]!, events[7]!, events[2]!, events[4]!, events[1]!, events[6]!]]) {
      const home = tmpHome();
      const s = await openT(home);
      for (const [i, ev] of order.entries()) await s.append([ev], at(i));
      await s.checkpoint();
      bytes.push(fs.readFileSync(statePaths(home).checkpoint, 'utf8'));
    }
    expect(bytes[1]).toBe(bytes[0]);
    expect(bytes[2]).toBe(bytes[0]);
  });
});

/** A checkpoint at seq 3 next to a log still holding records 1..5 (crash before truncation). */
function homeWithStaleLog(): { home: string; key: string } {
  const home = tmpHome();
  const p = statePaths(home);
  fs.mkdirSync(p.dir);
  const k = buildTask(1).key;
  const recs = [
    encodeRecord(1, at(1).toISOString(), [put(1, { state: 'pending' })]),
    encodeRecord(2, at(2).toISOString(), [put(1, { state: 'running' })]),
    encodeRecord(3, at(3).toISOString(), [put(1, { state: 'completed', finishedAt: at(3).toISOString() })]),
    encodeRecord(4, at(4).toISOString(), [put(2)]),
    encodeRecord(5, at(5).toISOString(), [put(3)]),
  ];
  const state = buildState(0);
  state.tasks[k] = buildTask(1, { state: 'completed', finishedAt: at(3).toISOString() });
  fs.writeFileSync(p.checkpoint, stableStringify({ lastSeq: 3, state }));
  fs.writeFileSync(p.log, recs.map((r) => r.line).join(''));
  return { home, key: k };
}

describe('replay', () => {
  it('replays only records with seq > the checkpoint lastSeq, so nothing regresses', async () => {
    const { home, key } = homeWithStaleLog();
    const s = await openT(home);
    expect(s.state.tasks[key]!.state).toBe('completed');
    expect(Object.keys(s.state.tasks).sort()).toEqual([buildTask(1).key, buildTask(2).key, buildTask(3).key].sort());
    expect(s.report).toMatchObject({ checkpointSeq: 3, replayed: 2, skipped: 3 });
    expect(s.seq).toBe(5);
  });

  it('finishes an interrupted rotation when every record is already in the checkpoint', async () => {
    const { home } = homeWithStaleLog();
    const p = statePaths(home);
    fs.writeFileSync(p.log, fs.readFileSync(p.log, 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
    const s = await openT(home);
    expect(s.report).toMatchObject({ replayed: 0, skipped: 3 });
    expect(fs.readFileSync(p.log).length).toBe(0);
    expect((await s.append([put(9)], at(9))).seq).toBe(4);
  });
});

describe('torn tail', () => {
  async function homeWithTwoRecords(): Promise<string> {
    const home = tmpHome();
    const s = await openStore(home);
    await s.append([put(1)], at(1));
    await s.append([put(2)], at(2));
    await s.close();
    return home;
  }
  const third = encodeRecord(3, at(3).toISOString(), [put(3)]).line;
  const cases: [string, string, RegExp][] = [
    ['half a line', third.slice(0, 40), /newline/],
    ['a bad CRC on the last line', third.replace('"attempts":', '"attempts" :'), /crc mismatch/],
    ['a complete line without its newline', third.slice(0, -1), /newline/],
  ];
  for (const [name, tail, reason] of cases) {
    it(`moves ${name} to log.broken.jsonl, truncates, and carries on`, async () => {
      const home = await homeWithTwoRecords();
      const p = statePaths(home);
      const good = fs.readFileSync(p.log);
      fs.appendFileSync(p.log, tail);
      const s = await openT(home);
      expect(s.report.tornTail).toMatchObject({ line: 3, movedTo: p.broken });
      expect(s.report.tornTail!.reason).toMatch(reason);
      expect(fs.readFileSync(p.log).equals(good)).toBe(true);
      expect(fs.readFileSync(p.broken, 'utf8')).toBe(tail.replace(/\n$/, '') + '\n');
      expect(s.seq).toBe(2);
      expect(Object.keys(s.state.tasks)).toHaveLength(2);
      expect((await s.append([put(4)], at(4))).seq).toBe(3);
      await s.close();
      const again = await openT(home);
      expect(again.report.tornTail).toBeNull();
      expect(again.seq).toBe(3);
    });
  }

  it('leaves a torn tail alone in read-only mode and in readState', async () => {
    const home = await homeWithTwoRecords();
    const p = statePaths(home);
    fs.appendFileSync(p.log, third.slice(0, 30));
    const before = hashTree(p.dir);
    const ro = await openT(home, { readOnly: true });
    expect(ro.report.tornTail).toMatchObject({ line: 3, movedTo: null });
    await expect(ro.append([put(5)], at(5))).rejects.toThrow(/read-only/);
    const rs = await readState(home);
    expect([rs.checkpointSeq, rs.pendingRecords]).toEqual([0, 2]);
    expect(hashTree(p.dir)).toEqual(before);
  });
});

describe('corruption', () => {
  it('a flipped byte mid-log is StateCorruptError naming file and line, and changes nothing', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const s = await openStore(home);
    for (let i = 1; i <= 3; i++) await s.append([put(i)], at(i));
    await s.close();
    const buf = fs.readFileSync(p.log);
    const secondLine = buf.indexOf(0x0a) + 1;
    buf[secondLine + 60] = buf[secondLine + 60]! ^ 0x01;
    fs.writeFileSync(p.log, buf);
    const before = hashTree(p.dir);
    const err = await openStore(home).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateCorruptError);
    expect((err as StateCorruptError).exitCode).toBe(65);
    expect((err as StateCorruptError).message).toContain(`${p.log}:2`);
    expect((err as StateCorruptError).message).toContain('fano repair');
    expect((err as StateCorruptError).line).toBe(2);
    expect(hashTree(p.dir)).toEqual(before);
    // The lock was released: the same error again, not "busy".
    await expect(openStore(home)).rejects.toBeInstanceOf(StateCorruptError);
    await expect(readState(home)).rejects.toBeInstanceOf(StateCorruptError);
  });

  it('a CRC-valid record with an invalid event is corruption naming its line', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    fs.mkdirSync(p.dir);
    const good = encodeRecord(1, at(1).toISOString(), [put(1)]).line;
    const body = stableCompact({ at: at(2).toISOString(), events: [{ type: 'task.put', task: { ...buildTask(2), state: 'done' } }], seq: 2 });
    const crc = (crc32(body) >>> 0).toString(16).padStart(8, '0');
    const bad = body.replace('","events"', `","crc":"${crc}","events"`) + '\n';
    fs.writeFileSync(p.log, good + bad + encodeRecord(3, at(3).toISOString(), [put(3)]).line);
    await expect(openStore(home)).rejects.toThrow(/log\.jsonl:2: .*state: "done" is not one of/);
    // Even as the last line: an intact line with bad content is not a crash artefact.
    fs.writeFileSync(p.log, good + bad);
    await expect(openStore(home)).rejects.toThrow(/log\.jsonl:2: /);
  });

  it('a seq that does not increase is corruption', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    fs.mkdirSync(p.dir);
    const lines = [1, 2, 2, 3].map((n) => encodeRecord(n, at(n).toISOString(), [put(n)]).line);
    fs.writeFileSync(p.log, lines.join(''));
    await expect(openStore(home)).rejects.toThrow(/log\.jsonl:3: seq 2 does not increase/);
  });

  it('a missing record between checkpoint and log is corruption', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    fs.mkdirSync(p.dir);
    fs.writeFileSync(p.log, encodeRecord(2, at(2).toISOString(), [put(2)]).line);
    await expect(openStore(home)).rejects.toThrow(/records 1\.\.1 are missing/);
  });

  const badCheckpoints: [string, string][] = [
    ['not JSON', '{"lastSeq": 3, "state": {'],
    ['an invalid task state', JSON.stringify({ lastSeq: 1, state: { ...buildState(1), tasks: { [buildTask(0).key]: { ...buildTask(0), state: 'done' } } } })],
    ['a task key that differs from its map key', JSON.stringify({ lastSeq: 1, state: { ...buildState(0), tasks: { other: buildTask(0) } } })],
    [
      'a date that is not ISO',
      JSON.stringify({ lastSeq: 1, state: { ...buildState(0), tasks: { [buildTask(0).key]: { ...buildTask(0), createdAt: 'yesterday' } } } }),
    ],
  ];
  for (const [name, text] of badCheckpoints) {
    it(`an unreadable checkpoint (${name}) exits 65 without changes`, async () => {
      const home = tmpHome();
      const p = statePaths(home);
      fs.mkdirSync(p.dir);
      fs.writeFileSync(p.checkpoint, text);
      const before = hashTree(p.dir);
      const err = await openStore(home).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateCorruptError);
      expect((err as StateCorruptError).exitCode).toBe(65);
      expect((err as StateCorruptError).message).toContain(p.checkpoint);
      expect(hashTree(p.dir)).toEqual(before);
    });
  }

  it('a deleted checkpoint.json next to checkpoint.prev.json is corruption, not a fresh start', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const s = await openStore(home);
    await s.append([put(1)], at(1));
    await s.checkpoint();
    await s.append([put(2)], at(2));
    await s.checkpoint();
    await s.close();
    fs.rmSync(p.checkpoint);
    await expect(openStore(home)).rejects.toThrow(/checkpoint\.json is missing/);
  });
});

describe('orphan temp files', () => {
  it('are removed at a locked start, never in read-only mode', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    fs.mkdirSync(p.dir);
    for (const n of ['checkpoint.json.123456789', 'checkpoint.prev.json.tmp', 'keep.json']) fs.writeFileSync(path.join(p.dir, n), 'x');
    const ro = await openT(home, { readOnly: true });
    expect(ro.report.orphansRemoved).toEqual([]);
    expect(fs.existsSync(path.join(p.dir, 'checkpoint.json.123456789'))).toBe(true);
    const s = await openT(home);
    expect(s.report.orphansRemoved).toEqual(['checkpoint.json.123456789', 'checkpoint.prev.json.tmp']);
    expect(fs.readdirSync(p.dir).sort()).toEqual(['keep.json', 'tick.lock']);
  });
});

describe('a missing redo log', () => {
  it('is created by the first record, not by opening: a store that writes nothing leaves state/ as it was', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    const s = await openT(home);
    s.fence();
    await s.close();
    expect(fs.existsSync(p.log)).toBe(false);
    const s2 = await openT(home);
    await s2.append([put(1)], at(1));
    await s2.close();
    expect(logLines(home)).toHaveLength(1);
    const s3 = await openT(home);
    expect(s3.seq).toBe(1);
    await s3.close();
  });
});
