/** The idle fast path never hides work: any change to an input, the state or the config is seen. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/store/store.js';
import { runFano, tempHome } from '../support/cli.js';

const CONFIG = 'backends:\n  mock:\n    type: mock\n    latencyMs: 5\nmodules:\n  echo:\n    enabled: true\n    turns: 1\n  explorer:\n    enabled: false\n';
const seeds = (n: number) => 'seeds:\n' + Array.from({ length: n }, (_, i) => `  - id: q${i}\n    type: question\n    text: Question ${i}\n`).join('');
/** The last tick's log lines: its own file for a working tick, its lines in the day's idle log for an idle one. */
const lastEvent = (home: string) => {
  const last = JSON.parse(readFileSync(join(home, 'runs/last-tick.json'), 'utf8')) as { id: string; startedAt: string };
  if (existsSync(join(home, 'runs', `${last.id}.jsonl`))) return readFileSync(join(home, 'runs', `${last.id}.jsonl`), 'utf8');
  const idle = readFileSync(join(home, 'runs', `idle-${last.startedAt.slice(0, 10)}.jsonl`), 'utf8');
  return idle
    .split('\n')
    .filter((l) => l.includes(`"tickId":"${last.id}"`))
    .join('\n');
};

describe('idle fast path', () => {
  it('skips loading state while nothing changed, and sees a new seed, a config edit and a corrupt log at once', async () => {
    const home = tempHome({ 'fano.config.yaml': CONFIG, 'state/explorer/seeds.yaml': seeds(1) });
    expect((await runFano(['tick'], { home })).code).toBe(0);
    expect((await runFano(['tick'], { home })).code).toBe(0); // the work is done in the first tick
    expect((await runFano(['tick'], { home })).code).toBe(0);
    expect(lastEvent(home)).toContain('"event":"tick.idle"');
    expect(JSON.parse((await runFano(['status', '--json'], { home })).stdout).lastTick.outcome).toBe('idle');

    writeFileSync(join(home, 'state/explorer/seeds.yaml'), seeds(2));
    expect((await runFano(['tick'], { home })).code).toBe(0);
    expect(lastEvent(home)).not.toContain('"event":"tick.idle"');
    expect(Object.keys((await readState(home)).state.tasks)).toHaveLength(2);

    expect((await runFano(['tick'], { home })).code).toBe(0);
    expect(lastEvent(home)).toContain('"event":"tick.idle"');
    writeFileSync(join(home, 'fano.config.yaml'), CONFIG + 'tick:\n  maxSecond: 3\n');
    expect((await runFano(['tick'], { home })).code, 'a broken config is reported, not skipped').toBe(78);

    writeFileSync(join(home, 'fano.config.yaml'), CONFIG);
    expect((await runFano(['tick'], { home })).code).toBe(0);
    expect((await runFano(['tick'], { home })).code).toBe(0);
    expect(lastEvent(home)).toContain('"event":"tick.idle"');
    writeFileSync(join(home, 'state/log.jsonl'), '{"garbage": true}\n{"more": 1}\n');
    expect((await runFano(['tick'], { home })).code, 'a corrupt log is refused, not skipped').toBe(65);
  });

  it('a backoff ending wakes the full path', async () => {
    const home = tempHome({
      'fano.config.yaml': CONFIG.replace('latencyMs: 5', 'latencyMs: 5\n    failureRate: 1') + 'retries:\n  transientDelaySeconds: 2\n',
      'state/explorer/seeds.yaml': seeds(1),
    });
    expect((await runFano(['tick'], { home })).code).toBe(0);
    const hint = JSON.parse(readFileSync(join(home, 'runs/idle-hint.json'), 'utf8'));
    const task = Object.values((await readState(home)).state.tasks)[0]!;
    expect(task.state).toBe('paused');
    expect(hint.wakeAt).toBe(task.notBefore);
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await runFano(['tick'], { home })).code).toBe(0);
    expect(lastEvent(home)).toContain('"event":"task.picked"');
  });
});
