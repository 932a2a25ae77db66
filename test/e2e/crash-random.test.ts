/**
 * Random kills: real `fano tick` processes on the mock are SIGKILLed at 200 random instants of their
 * life (100 in each of two homes, run at once) while work keeps arriving; the invariants are checked
 * between processes and each finished home is compared with an uncrashed run of the same workload.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/rng.js';
import { startFano } from '../support/cli.js';
import { afterKill, done, newHome, normalize, Observer, referenceRun, seedsYaml, tickUntilDone, verifyInProcess, verifyOk } from '../support/crash-torture.js';

// Work arrives in batches (new seeds appended when the last batch is done) so the kills keep
// landing on working ticks rather than on an idle home.
const BATCH = 15;
const BATCHES = 4;
const KILLS_PER_HOME = 100;

describe.concurrent('crash torture on the mock: 200 random SIGKILLs, in two homes at once', () => {
  // Computed once, awaited by both homes (the tests run concurrently).
  const referenceP = referenceRun(BATCHES * BATCH);
  referenceP.catch(() => undefined); // reported by the tests below, not as an unhandled rejection

  it.each([[20261123], [20261124]])(
    `${KILLS_PER_HOME} random SIGKILLs during real ticks (rng seed %i): nothing lost, nothing applied twice`,
    async (rngSeed) => {
      const home = newHome(BATCH, 0);
      const obs = new Observer();
      const rng = mulberry32(rngSeed);
      let kills = 0;
      let batches = 1;
      while (kills < KILLS_PER_HOME) {
        const { child, done: finished } = startFano(['tick'], { home });
        // Somewhere in the tick's life: start-up, load, discovery, requests, checkpoint, unlock.
        const delay = Math.floor(rng() * 500);
        const timedOut = await Promise.race([sleep(delay).then(() => true), finished.then(() => false)]);
        if (timedOut) child.kill('SIGKILL');
        const r = await finished;
        const killed = r.signal === 'SIGKILL';
        if (killed) {
          kills++;
          await afterKill(home, kills);
        } else expect([0, 75], r.stderr).toContain(r.code);
        const s = await obs.check(home);
        if (killed && kills % 20 === 0) await verifyInProcess(home);
        if (done(s, batches * BATCH) && batches < BATCHES) {
          batches++;
          writeFileSync(join(home, 'state/explorer/seeds.yaml'), seedsYaml(batches * BATCH));
        }
      }
      writeFileSync(join(home, 'state/explorer/seeds.yaml'), seedsYaml(BATCHES * BATCH));
      await tickUntilDone(home, obs, BATCHES * BATCH);
      await verifyOk(home);
      expect(await obs.lost(home)).toEqual([]);
      expect(await normalize(home)).toEqual(await referenceP);
    },
    900_000,
  );
});
