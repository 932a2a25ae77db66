import { describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { openStore, readState } from '../store/store.js';
import { setPaused, watchHome } from './top.js';

describe('top: pause flag and refresh', () => {
  it('p writes meta.paused through the store (log + checkpoint), and resumes', async () => {
    const home = tempHome();
    expect(await setPaused(home, true)).toMatch(/^paused/);
    const s = await readState(home);
    expect(s.state.meta.paused).toBe(true);
    expect(s.pendingRecords).toBe(0); // checkpointed, not only logged
    expect(await setPaused(home, false)).toMatch(/^resumed/);
    expect((await readState(home)).state.meta.paused).toBe(false);
  });

  it('retries while a tick holds the lock, then says it could not, writing nothing', async () => {
    const home = tempHome();
    const tick = await openStore(home);
    let sleeps = 0;
    try {
      const msg = await setPaused(home, true, {
        retryMs: 300,
        sleep: async (ms) => {
          sleeps++;
          await new Promise((r) => setTimeout(r, ms));
        },
      });
      expect(msg).toMatch(/holds the lock/);
      expect(sleeps).toBeGreaterThan(0);
    } finally {
      await tick.close();
    }
    expect((await readState(home)).state.meta.paused).toBe(false);
    // Once the tick is gone, it works.
    expect(await setPaused(home, true)).toMatch(/^paused/);
  });

  it('watchHome reports a change under state/ (by fs.watch or by polling)', async () => {
    const home = tempHome();
    await setPaused(home, false);
    let changes = 0;
    const stop = watchHome(home, () => changes++, 200);
    try {
      await setPaused(home, true);
      const end = Date.now() + 3000;
      while (changes === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(changes).toBeGreaterThan(0);
    } finally {
      stop();
    }
  });
});
