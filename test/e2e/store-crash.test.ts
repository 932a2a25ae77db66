/**
 * The store killed (SIGKILL) at each of its crash points, in a real child process, then reopened:
 * the state must be exactly what was acknowledged, the crash artefacts cleaned, the lock of the
 * killed holder taken over once stale.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockBusyError } from '../../src/errors.js';
import { statePaths } from '../../src/store/paths.js';
import { openStore, readArchive, verifyStore } from '../../src/store/store.js';
import { buildTask } from '../../src/store/test-builders.js';
import { cleanupHomes, tmpHome } from '../../src/store/test-fs.js';

const root = path.resolve(import.meta.dirname, '../..');
// Inside the repo so the bundle's bare imports (proper-lockfile, write-file-atomic) resolve.
const outDir = path.join(root, 'node_modules', '.cache', `fano-store-crash-${process.pid}`);
const driver = path.join(outDir, 'driver.mjs');

beforeAll(async () => {
  await build({
    entryPoints: [path.join(import.meta.dirname, 'fixtures', 'store-crash-driver.ts')],
    outfile: driver,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
});
afterAll(() => {
  fs.rmSync(outDir, { recursive: true, force: true });
  cleanupHomes();
});

function run(home: string, scenario: string, crashAt: string): void {
  const r = spawnSync(process.execPath, [driver, home, scenario], { env: { ...process.env, FANO_CRASH_AT: crashAt }, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.signal).toBe('SIGKILL');
}
const keys = (...is: number[]) => is.map((i) => buildTask(i).key).sort();
/** The killed child's lock is left behind: age it past the 2 s stale time instead of waiting. */
function ageLock(home: string): void {
  const old = new Date(Date.now() - 10_000);
  fs.utimesSync(statePaths(home).lock, old, old);
}

describe('store crash points', () => {
  it('log.appended: acknowledged records survive; a killed holder on this host is taken over at once', async () => {
    const home = tmpHome();
    run(home, 'append3', 'log.appended@2');
    expect((await verifyStore(home)).ok).toBe(true);
    const s = await openStore(home, { lockStaleMs: 2000 });
    expect(s.seq).toBe(2);
    expect(Object.keys(s.state.tasks).sort()).toEqual(keys(1, 2));
    await s.close();
  });

  it('a killed holder on another host blocks until its lock is stale', async () => {
    const home = tmpHome();
    run(home, 'append3', 'log.appended@2');
    const ownerFile = path.join(statePaths(home).lock, 'owner.json');
    fs.writeFileSync(ownerFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(ownerFile, 'utf8')), host: 'elsewhere.example' }));
    await expect(openStore(home, { lockStaleMs: 2000 })).rejects.toBeInstanceOf(LockBusyError);
    // The real stale takeover, once.
    await sleep(fs.statSync(ownerFile).mtimeMs + 2100 - Date.now());
    const s = await openStore(home, { lockStaleMs: 2000 });
    expect(s.seq).toBe(2);
    expect(Object.keys(s.state.tasks).sort()).toEqual(keys(1, 2));
    await s.close();
  });

  it('checkpoint.before-rename: the old checkpoint and the full log stay; the temp file is removed', async () => {
    const home = tmpHome();
    run(home, 'append-checkpoint', 'checkpoint.before-rename');
    expect(fs.readdirSync(statePaths(home).dir).some((n) => /^\.checkpoint\.json\.\d+\.\d+\.tmp$/.test(n))).toBe(true);
    expect((await verifyStore(home)).ok).toBe(true);
    ageLock(home);
    const s = await openStore(home, { lockStaleMs: 2000 });
    expect(s.report).toMatchObject({ checkpointSeq: 0, replayed: 3, tornTail: null });
    expect(s.report.orphansRemoved).toHaveLength(1);
    expect(Object.keys(s.state.tasks).sort()).toEqual(keys(1, 2, 3));
    await s.close();
  });

  for (const point of ['checkpoint.after-rename', 'log.before-truncate']) {
    it(`${point}: the new checkpoint is used and the stale log records are skipped, then dropped`, async () => {
      const home = tmpHome();
      run(home, 'append-checkpoint', point);
      const v = await verifyStore(home);
      expect(v).toMatchObject({ ok: true, checkpointSeq: 3, pendingRecords: 0 });
      ageLock(home);
      const s = await openStore(home, { lockStaleMs: 2000 });
      expect(s.report).toMatchObject({ checkpointSeq: 3, replayed: 0, skipped: 3 });
      expect(fs.readFileSync(statePaths(home).log).length).toBe(0);
      expect(Object.keys(s.state.tasks).sort()).toEqual(keys(1, 2, 3));
      expect((await s.append([{ type: 'task.put', task: buildTask(9) }], new Date())).seq).toBe(4);
      await s.close();
    });
  }

  it('archive.appended: the tasks stay in state; archiving again duplicates lines that readers dedupe', async () => {
    const home = tmpHome();
    run(home, 'archive', 'archive.appended');
    ageLock(home);
    const s = await openStore(home, { lockStaleMs: 2000 });
    expect(Object.keys(s.state.tasks).sort()).toEqual(keys(0, 1, 2));
    expect(await s.archive(new Date('2025-02-01T00:00:00.000Z'))).toBe(3);
    expect(Object.keys(s.state.tasks)).toEqual([]);
    await s.close();
    const file = path.join(statePaths(home).archiveDir, '2025-01.jsonl');
    expect(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(6);
    const read = await readArchive(home);
    expect(read.tasks.map((t) => t.key)).toEqual(keys(0, 1, 2));
  });
});
