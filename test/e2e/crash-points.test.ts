/**
 * Crash points: real `fano tick` processes on the mock are killed at every named crash point (the
 * 1st to 6th time it is reached), restarted until the work is done, and compared with an uncrashed
 * run of the same seeded workload. The points run concurrently: each has its own home.
 */
import { describe, expect, it } from 'vitest';
import { CRASH_POINTS } from '../../src/crash.js';
import { runFano } from '../support/cli.js';
import { afterKill, newHome, normalize, Observer, referenceRun, SEEDS, tickUntilDone, verifyInProcess, verifyOk } from '../support/crash-torture.js';

describe.concurrent('crash points on the mock', () => {
  // Computed once, awaited by every point (the tests run concurrently).
  const referenceP = referenceRun(SEEDS);
  referenceP.catch(() => undefined); // reported by the test below, not as an unhandled rejection

  it('an uncrashed run of the seeded workload finishes', async () => {
    const reference = await referenceP;
    expect(reference.tasks).toHaveLength(SEEDS);
    expect(reference.tasks.every((t) => t.state === 'completed')).toBe(true);
    expect(Object.keys(reference.modules.echo?.results ?? {})).toHaveLength(SEEDS);
  }, 600_000);

  it.each(CRASH_POINTS.map((p) => [p]))(
    'crash point %s: recovers to the same final state',
    async (point) => {
      // The archive point only fires when finished tasks are archived: archive them at once there.
      const home = newHome(SEEDS, point === 'archive.appended' ? 0 : 7);
      const obs = new Observer();
      let crashes = 0;
      // Crash at the 1st, 2nd, 3rd... time the point is reached, restarting in between.
      for (let nth = 1; nth <= 6; nth++) {
        const r = await runFano(['tick'], { home, env: { FANO_CRASH_AT: `${point}@${nth}` } });
        if (r.signal === 'SIGKILL') {
          crashes++;
          await afterKill(home, crashes);
        } else expect(r.code, r.stderr).toBe(0);
        await obs.check(home);
        await verifyInProcess(home);
      }
      await tickUntilDone(home, obs);
      await verifyOk(home);
      expect(await obs.lost(home)).toEqual([]);
      expect(await normalize(home)).toEqual(await referenceP);
      expect(crashes, `FANO_CRASH_AT=${point} never fired`).toBeGreaterThan(0);
    },
    600_000,
  );
});
