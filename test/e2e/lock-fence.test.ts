/**
 * A lock that fences (docs/architecture.md, Durability): a real `fano tick` (A) is stopped with
 * SIGSTOP past tick.lockStaleSeconds, a second tick (B) takes the lock over and works, then A is
 * resumed, either while B still runs or after B has finished. A must write nothing more under
 * state/: no record of A's epoch may appear after the takeover, neither in the log nor among the
 * foreign bytes B moves to log.broken.jsonl, and the home verifies.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LockCompromisedError } from '../../src/errors.js';
import { openStore } from '../../src/store/store.js';
import { FANO_BIN, runFano, startFano, tempHome } from '../support/cli.js';
import { echoHomeConfig } from '../support/echo-home.js';

const ROUNDS = Number(process.env.FENCE_ROUNDS ?? 20);
const STALE_MS = 2000;

const config = echoHomeConfig({ mock: { latencyMs: 250, seed: 3 }, turns: 3, tick: { maxRequests: 4, lockStaleSeconds: STALE_MS / 1000 } });
const seeds =
  'seeds:\n' + Array.from({ length: 60 }, (_, i) => `  - id: s${i}\n    type: question\n    text: Question number ${i} about the seven lines.\n`).join('');

const newHome = () => tempHome({ 'fano.config.yaml': config, 'state/explorer/seeds.yaml': seeds }, 'fano-fence-');

/** Polls `cond` (no fixed sleeps): resolves once it holds, fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function owner(home: string): { token: string; epoch: number; pid: number } | null {
  try {
    return JSON.parse(readFileSync(join(home, 'state', 'tick.lock', 'owner.json'), 'utf8'));
  } catch {
    return null;
  }
}

function ownerAgeMs(home: string): number {
  try {
    return Date.now() - statSync(join(home, 'state', 'tick.lock', 'owner.json')).mtimeMs;
  } catch {
    return 0;
  }
}

/** Epochs of the records in a log file (`"ep":N` right after the crc). */
function epochs(file: string): number[] {
  if (!existsSync(file)) return [];
  return [...readFileSync(file, 'utf8').matchAll(/"crc":"[0-9a-f]{8}","ep":(\d+),/g)].map((m) => Number(m[1]));
}

async function round(home: string, order: 'during' | 'after'): Promise<void> {
  const log = join(home, 'state', 'log.jsonl');
  const broken = join(home, 'state', 'log.broken.jsonl');
  const a = startFano(['tick'], { home });
  // A holds the lock and has written a record: it is mid-tick.
  await until(() => owner(home)?.pid === a.child.pid && epochs(log).includes(owner(home)!.epoch), 'tick A to write a record');
  const epochA = owner(home)!.epoch;
  a.child.kill('SIGSTOP');
  try {
    await until(() => ownerAgeMs(home) > STALE_MS + 100, "A's lock to go stale");
    const b = startFano(['tick'], { home });
    await until(() => (owner(home)?.epoch ?? 0) > epochA || b.child.exitCode !== null, 'tick B to take the lock over');
    if (order === 'during') {
      const epochB = owner(home)?.epoch ?? -1;
      await until(() => epochs(log).includes(epochB) || b.child.exitCode !== null, 'tick B to write a record');
      a.child.kill('SIGCONT');
      const [ra, rb] = await Promise.all([a.done, b.done]);
      expect(rb.code, rb.stderr).toBe(0);
      expect(ra.code, ra.stderr).toBe(75);
      expect(ra.stderr).toMatch(/tick lock .* was lost/);
    } else {
      const rb = await b.done;
      expect(rb.code, rb.stderr).toBe(0);
      a.child.kill('SIGCONT');
      const ra = await a.done;
      expect(ra.code, ra.stderr).toBe(75);
      expect(ra.stderr).toMatch(/tick lock .* was lost/);
    }
  } finally {
    a.child.kill('SIGCONT');
  }
  // B checkpointed (the log then held only B's records, then none): any record of A's epoch now in
  // the log, or moved aside by B as foreign bytes, was written after B took over.
  expect(
    epochs(log).filter((e) => e <= epochA),
    'records of the fenced tick in the log',
  ).toEqual([]);
  expect(
    epochs(broken).filter((e) => e === epochA),
    'records of the fenced tick moved aside by B',
  ).toEqual([]);
  const cp = JSON.parse(readFileSync(join(home, 'state', 'checkpoint.json'), 'utf8')) as { epoch: number };
  expect(cp.epoch).toBeGreaterThan(epochA);
}

describe.concurrent('a tick paused past the stale time writes nothing after the takeover', () => {
  it.each([['during' as const], ['after' as const]])(
    `A resumes %s B's tick: ${ROUNDS} rounds, zero records from A`,
    async (order) => {
      const home = newHome();
      for (let i = 0; i < ROUNDS; i++) await round(home, order);
      const v = await runFano(['verify'], { home });
      expect(v.code, v.stdout + v.stderr).toBe(0);
    },
    600_000,
  );
});

describe('a blocked event loop cannot lose the lock unnoticed', () => {
  it('a holder blocked past the stale time while another process took the lock writes nothing more', async () => {
    const home = newHome();
    const store = await openStore(home, { lockStaleMs: STALE_MS });
    try {
      await store.append([{ type: 'meta.put', key: 'passes', value: { probe: 1 } }], new Date());
      // spawnSync blocks this process's event loop (no refresh timer runs) while a real `fano seed
      // add` waits out the stale time, takes the lock over, edits and releases it.
      const loop = `for i in $(seq 1 100); do ${process.execPath} ${FANO_BIN} --home ${home} seed add "A question from the contender" && exit 0; sleep 0.1; done; exit 1`;
      const r = spawnSync('sh', ['-c', loop], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const err = await store.append([{ type: 'meta.put', key: 'passes', value: { probe: 2 } }], new Date()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockCompromisedError);
      expect(() => store.fence()).toThrow(/tick lock .* was lost/);
    } finally {
      await store.close();
    }
    const again = await openStore(home, { lockStaleMs: STALE_MS });
    expect(again.state.meta.passes).toEqual({ probe: 1 });
    await again.close();
  });
});
