/**
 * A tick that runs out of time leaves submitted requests running on the site ("detach") and the
 * next tick harvests their answers without submitting again; a long tick discovers new work.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/store/store.js';
import { runFano, startFano, tempHome } from '../support/cli.js';

const seeds = (n: number) => 'seeds:\n' + Array.from({ length: n }, (_, i) => `  - id: q${i}\n    type: question\n    text: Question ${i}\n`).join('');
const served = (home: string) => (JSON.parse(readFileSync(join(home, 'runs/mock/mock.json'), 'utf8')) as { served: number }).served;

describe('tick time budget', () => {
  it('detaches a slow submitted request at the deadline; the next tick harvests it without resubmitting', async () => {
    // The answer takes ten minutes: a tick that waited for it would outlive the test, and one that
    // detached leaves its task running with the submission recorded (no wall-clock assertion).
    const home = tempHome({
      'fano.config.yaml':
        'backends:\n  mock:\n    type: mock\n    latencyMs: 600000\ntick:\n  maxSeconds: 1\nmodules:\n  explorer:\n    enabled: false\n  echo:\n    enabled: true\n    turns: 1\n',
      'state/explorer/seeds.yaml': seeds(1),
    });
    const first = await runFano(['tick'], { home });
    expect(first.code, first.stderr).toBe(0);
    let { state } = await readState(home);
    const task = Object.values(state.tasks)[0]!;
    expect(task.state).toBe('running');
    expect(task.conversation?.submitted).not.toBeNull();
    expect(served(home)).toBe(1);

    // The harvest itself is not subject to the budget of a request that has not yet started.
    writeFileSync(
      join(home, 'fano.config.yaml'),
      readFileSync(join(home, 'fano.config.yaml'), 'utf8').replace('latencyMs: 600000', 'latencyMs: 10').replace('maxSeconds: 1', 'maxSeconds: 30'),
    );
    const second = await runFano(['tick'], { home });
    expect(second.code, second.stderr).toBe(0);
    ({ state } = await readState(home));
    expect(state.tasks[task.key]!.state).toBe('completed');
    expect(served(home), 'harvested, not submitted again').toBe(1);
    const log = readFileSync(join(home, 'runs', `${JSON.parse(readFileSync(join(home, 'runs/last-tick.json'), 'utf8')).id}.jsonl`), 'utf8');
    expect(log).toMatch(/"event":"task.started".*"harvest":true/);
  });

  it('a long tick picks up work that appears while it runs', async () => {
    const home = tempHome({
      'fano.config.yaml':
        'backends:\n  mock:\n    type: mock\n    latencyMs: 2500\ntick:\n  maxSeconds: 100\n  maxRequests: 100\n  rediscoverSeconds: 2\nmodules:\n  explorer:\n    enabled: false\n  echo:\n    enabled: true\n    turns: 30\n',
      'state/explorer/seeds.yaml': seeds(1),
    });
    const tick = startFano(['tick'], { home });
    // The first seed's task is in the state (the tick's first discovery is over) before the second
    // seed is written, so only a rediscovery inside this tick can find it.
    for (let i = 0; i < 600 && Object.keys((await readState(home)).state.tasks).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(home, 'state/explorer/seeds.yaml'), seeds(2));
    // Discovery runs every 2 s inside this tick; wait for it, then stop the tick.
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      const { state } = await readState(home);
      if (Object.keys(state.tasks).length === 2) break;
    }
    const stillRunning = tick.child.exitCode === null;
    tick.child.kill('SIGKILL');
    await tick.done;
    expect(stillRunning, 'the new seed was found by the running tick, not a later one').toBe(true);
    const { state } = await readState(home);
    expect(Object.keys(state.tasks)).toHaveLength(2);
  }, 120_000);
});
