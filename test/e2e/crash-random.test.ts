/**
 * Random kills: real `fano tick` processes on the mock are SIGKILLed at 200 random instants of their
 * life while work keeps arriving; the invariants are checked between processes and the finished
 * home is compared with an uncrashed run of the same seeded workload.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/rng.js';
import { startFano } from '../support/cli.js';
import { afterKill, done, newHome, normalize, Observer, referenceRun, seedsYaml, tickUntilDone, verifyOk } from '../support/crash-torture.js';

describe('crash torture on the mock', () => {
  it('200 random SIGKILLs during real ticks: nothing lost, nothing applied twice', async () => {
    // Work arrives in batches (new seeds appended when the last batch is done) so the kills keep
    // landing on working ticks rather than on an idle home.
    const BATCH = 15;
    const BATCHES = 4;
    const home = newHome(BATCH, 0);
    const obs = new Observer();
    const rng = mulberry32(20261123);
    let kills = 0;
    let batches = 1;
    while (kills < 200) {
      const { child, done: finished } = startFano(['tick'], { home });
      // Somewhere in the tick's life: start-up, load, discovery, requests, checkpoint, unlock.
      const delay = Math.floor(rng() * 500);
      const timedOut = await Promise.race([sleep(delay).then(() => true), finished.then(() => false)]);
      if (timedOut) child.kill('SIGKILL');
      const r = await finished;
      if (r.signal === 'SIGKILL') {
        kills++;
        await afterKill(home, kills);
      } else expect([0, 75], r.stderr).toContain(r.code);
      const s = await obs.check(home);
      if (kills % 20 === 0) await verifyOk(home);
      if (done(s, batches * BATCH) && batches < BATCHES) {
        batches++;
        writeFileSync(join(home, 'state/explorer/seeds.yaml'), seedsYaml(batches * BATCH));
      }
    }
    writeFileSync(join(home, 'state/explorer/seeds.yaml'), seedsYaml(BATCHES * BATCH));
    await tickUntilDone(home, obs, BATCHES * BATCH);
    await verifyOk(home);
    expect(await obs.lost(home)).toEqual([]);
    expect(await normalize(home)).toEqual(await referenceRun(BATCHES * BATCH));
  }, 900_000);
});
