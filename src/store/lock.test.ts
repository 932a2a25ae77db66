import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTask } from './test-builders.js';
import { LockBusyError, LockCompromisedError } from '../errors.js';
import { statePaths } from './paths.js';
import { openStore } from './store.js';
import type { Store } from './store.js';
import { cleanupHomes, tmpHome } from './test-fs.js';

const AT = new Date('2025-03-01T10:00:00.000Z');
const opened: Store[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  cleanupHomes();
});
async function openT(home: string, lockStaleMs = 2000): Promise<Store> {
  const s = await openStore(home, { lockStaleMs });
  opened.push(s);
  return s;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tick lock', () => {
  it('a second writer gets LockBusyError (75) at once, naming the lock and its age', async () => {
    const home = tmpHome();
    await openT(home);
    const t = Date.now();
    const err = await openStore(home, { lockStaleMs: 2000 }).catch((e: unknown) => e);
    expect(Date.now() - t).toBeLessThan(1000);
    expect(err).toBeInstanceOf(LockBusyError);
    expect((err as LockBusyError).exitCode).toBe(75);
    expect((err as LockBusyError).message).toContain(statePaths(home).lock);
    expect((err as LockBusyError).message).toMatch(/refreshed \d+ s ago/);
  });

  it('read-only opens never take the lock', async () => {
    const home = tmpHome();
    await openT(home);
    const ro = await openStore(home, { readOnly: true });
    expect(ro.seq).toBe(0);
    await ro.close();
  });

  it('is released by close', async () => {
    const home = tmpHome();
    const s = await openStore(home);
    await s.close();
    expect(fs.existsSync(statePaths(home).lock)).toBe(false);
    await openT(home);
  });

  it('a lock older than the stale time (a killed holder) is taken over', async () => {
    const home = tmpHome();
    const p = statePaths(home);
    fs.mkdirSync(p.lock, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(p.lock, old, old);
    const s = await openT(home, 2000);
    expect(s.lockCompromised).toBe(false);
    await s.append([{ type: 'task.put', task: buildTask(1) }], AT);
  });

  it('a fresh lock is not taken over', async () => {
    const home = tmpHome();
    fs.mkdirSync(statePaths(home).lock, { recursive: true });
    await expect(openStore(home, { lockStaleMs: 2000 })).rejects.toBeInstanceOf(LockBusyError);
  });

  it('a lost lock sets a flag (no throw from a timer) and every later write throws LockCompromisedError', async () => {
    const home = tmpHome();
    const s = await openT(home, 2000);
    await s.append([{ type: 'task.put', task: buildTask(1) }], AT);
    fs.rmSync(statePaths(home).lock, { recursive: true });
    // The holder checks its lock every stale/4 = 500 ms.
    for (let i = 0; i < 40 && !s.lockCompromised; i++) await sleep(100);
    expect(s.lockCompromised).toBe(true);
    await expect(s.append([{ type: 'task.put', task: buildTask(2) }], AT)).rejects.toBeInstanceOf(LockCompromisedError);
    await expect(s.checkpoint()).rejects.toBeInstanceOf(LockCompromisedError);
    await expect(s.archive(AT)).rejects.toBeInstanceOf(LockCompromisedError);
    expect(s.seq).toBe(1);
    expect(fs.existsSync(statePaths(home).checkpoint)).toBe(false);
  });
});
