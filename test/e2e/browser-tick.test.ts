/**
 * Real `fano tick` processes driving real headless Chromium against the fake chat sites: a crash
 * right after submit is followed by a tick that reattaches to the conversation and harvests the
 * answer without resubmitting (the site counts exactly one submission), the next turn reuses the
 * thread, and a login wall parks the backend until a later tick's re-probe finds it cleared.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readState } from '../../src/store/store.js';
import { LOOPBACK_ONLY_ARGS, SKIP_BROWSER } from '../fixtures/fake-sites/harness.js';
import { startFakeSites, type FakeSites } from '../fixtures/fake-sites/server.js';
import { runFano, tempHome } from '../support/cli.js';

const config = (url: string) => `
backends:
  chatgpt:
    type: browser
    url: ${url}
    timeouts:
      normalMs: 20000
      deepMs: 20000
      navigationMs: 15000
browser:
  executablePath: /usr/bin/chromium
  args: ${JSON.stringify(LOOPBACK_ONLY_ARGS)}
tick:
  maxRequests: 1
  lockStaleSeconds: 2
retries:
  transientDelaySeconds: 1
modules:
  echo:
    enabled: true
    turns: 2
  explorer:
    enabled: false
`;
const seeds = (text: string) => `seeds:\n  - id: q1\n    type: question\n    text: "${text}"\n`;

describe.skipIf(SKIP_BROWSER)('fano tick on a browser backend', () => {
  let fake: FakeSites;
  beforeAll(async () => {
    fake = await startFakeSites();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('SIGKILL after submit: the next tick harvests without resubmitting, then turn 2 reuses the thread', async () => {
    const home = tempHome({ 'fano.config.yaml': config(fake.url('chatgpt')), 'state/explorer/seeds.yaml': seeds('Why 168? [[slow]]') });
    const before = fake.stats().total;
    const crashed = await runFano(['tick'], { home, env: { FANO_CRASH_AT: 'llm.submitted' } });
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    expect(fake.stats().total - before).toBe(1);
    let { state } = await readState(home);
    const task = Object.values(state.tasks)[0]!;
    expect(task.state).toBe('running');
    const url = task.conversation?.url;
    expect(url).toMatch(/\/chatgpt\/c\//);
    expect(task.conversation?.submitted).not.toBeNull();

    rmSync(join(home, 'state', 'tick.lock'), { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }); // the dead tick's lock
    const harvest = await runFano(['tick'], { home });
    expect(harvest.code, harvest.stderr).toBe(0);
    expect(fake.stats().total - before, 'the prompt was not submitted again').toBe(1);
    ({ state } = await readState(home));
    const after = state.tasks[task.key]!;
    expect(after.llmRequests).toBe(1);
    expect((after.data.answers as string[])[0]).toMatch(/^Answer 1 to: Explore this seed/);

    const turn2 = await runFano(['tick'], { home });
    expect(turn2.code, turn2.stderr).toBe(0);
    expect(fake.stats().total - before).toBe(2);
    const last = fake.stats().prompts.at(-1)!;
    expect(url).toContain(last.conv);
    ({ state } = await readState(home));
    expect(state.tasks[task.key]!.state).toBe('completed');
    expect(Object.keys(state.modules.echo?.results ?? {})).toEqual(['q1']);
    // What the ticks stored is, byte for byte, what the site sent (the harvested answer included).
    const stored = (state.modules.echo?.results?.q1 as { answers: string[] }).answers;
    expect(stored).toEqual(
      fake
        .stats()
        .prompts.filter((p) => url?.includes(p.conv))
        .map((p) => p.answer),
    );
  }, 120_000);

  it('a login wall parks the backend (not the task); a later tick re-probes and resumes by itself', async () => {
    const home = tempHome({ 'fano.config.yaml': config(fake.url('chatgpt')), 'state/explorer/seeds.yaml': seeds('Parking test') });
    fake.set('chatgpt', { wall: 'login' });
    try {
      const t1 = await runFano(['tick'], { home });
      expect(t1.code, t1.stderr).toBe(0);
      const s1 = JSON.parse((await runFano(['status', '--json'], { home })).stdout);
      expect(s1.backends[0], JSON.stringify(s1.backends[0])).toMatchObject({ name: 'chatgpt', status: 'needsHuman', requestsThisHour: 0 });
      expect(s1.backends[0].needsHuman.reason).toBe('loginRequired');
      expect((await runFano(['status'], { home })).stdout).toMatch(/fano login chatgpt/);
      const { state } = await readState(home);
      const task = Object.values(state.tasks)[0]!;
      expect(task.state).toBe('paused');
      expect(task.attempts, 'a login wall is not the task failing').toBe(0);
    } finally {
      fake.set('chatgpt', { wall: null });
    }
    // The person signed in; the task's short transient delay has to pass before it is runnable.
    for (let i = 0; i < 10; i++) {
      const t = await runFano(['tick'], { home });
      expect(t.code, t.stderr).toBe(0);
      const s = JSON.parse((await runFano(['status', '--json'], { home })).stdout);
      if (s.backends[0].status === 'available' && s.tasks.byState.completed === 1) {
        const { state } = await readState(home);
        const stored = (state.modules.echo?.results?.q1 as { answers: string[] }).answers;
        const conv = Object.values(state.tasks)[0]!.conversation?.url ?? '';
        expect(stored).toEqual(
          fake
            .stats()
            .prompts.filter((p) => conv.includes(p.conv))
            .map((p) => p.answer),
        );
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error('backend never un-parked');
  }, 120_000);
});
