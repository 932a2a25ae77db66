import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { FanoState } from '../core/types.js';
import { Dashboard } from './Dashboard.js';
import { NOW, ago, snapshotOf, stateWith, task } from './test-builders.js';
import { HOUR_MS, MINUTE_MS } from '../core/time.js';

const DOWN = '\u001B[B';
const ENTER = '\r';
const ESC = '\u001B';

/** Ink handles input and re-renders asynchronously. */
const settle = () => new Promise((r) => setTimeout(r, 100));
async function press(stdin: { write: (s: string) => void }, ...keys: string[]) {
  for (const k of keys) {
    stdin.write(k);
    await settle();
  }
}

/** Task keys in the order the list shows them. */
function listedKeys(frame: string): string[] {
  return [...frame.matchAll(/^[› ] (?:pending|running|paused|completed|failed)\s+-?\d+\s+\S+\s+(\S+)/gm)].map((m) => m[1]!);
}

function sampleState(): FanoState {
  const high = task({ module: 'explorer', type: 'exploration', context: { n: 'high' }, priority: 40, state: 'pending' }, 2 * HOUR_MS);
  const low = task({ module: 'explorer', type: 'exploration', context: { n: 'low' }, priority: 0, state: 'pending' }, 5 * HOUR_MS);
  const running = task(
    {
      module: 'critic',
      type: 'critique',
      context: { n: 'run' },
      state: 'running',
      updatedAt: ago(90_000),
      conversation: { backend: 'chatgpt', url: null, turn: 1, submitted: { requestId: 'r001', at: ago(80_000), deep: false, promptHash: 'x' } },
    },
    HOUR_MS,
  );
  const failed = task(
    {
      module: 'critic',
      type: 'critique',
      context: { n: 'bad' },
      state: 'failed',
      attempts: 3,
      lastError: { kind: 'timeout', message: 'no answer within 300 s', at: ago(10 * MINUTE_MS), bundle: 'runs/20260110T115000Z-ab12/r002' },
    },
    3 * HOUR_MS,
  );
  const done = task({ module: 'explorer', type: 'exploration', context: { n: 'done' }, state: 'completed', finishedAt: ago(30 * MINUTE_MS), llmRequests: 2 }, 4 * HOUR_MS);
  return stateWith([high, low, running, failed, done], {
    claude: { rateLimitedUntil: new Date(NOW.getTime() + 20 * MINUTE_MS).toISOString(), recent: [ago(MINUTE_MS)] },
    gemini: { needsHuman: { reason: 'loginRequired', since: ago(HOUR_MS), bundle: null } },
  });
}

describe('Dashboard', () => {
  it('shows each backend status: working, rate-limited until, needs-human, idle', () => {
    const { lastFrame, unmount } = render(<Dashboard snapshot={snapshotOf(sampleState())} interactive={false} />);
    const f = lastFrame()!;
    expect(f).toMatch(/chatgpt\s+working/);
    expect(f).toMatch(/claude\s+rate-limited.*\n\s+until 12:20:00 \(in 20m00s\)/);
    expect(f).toMatch(/gemini\s+needs-human.*\n\s+loginRequired: run `fano login gemini`/);
    expect(f).toMatch(/hour .* 1\/20/); // claude's one request this hour
    unmount();
    const idle = render(<Dashboard snapshot={snapshotOf(stateWith([]))} interactive={false} />);
    expect(idle.lastFrame()).toMatch(/chatgpt\s+idle/);
    expect(idle.lastFrame()).toContain('no tasks match');
    idle.unmount();
  });

  it('shows last and next tick, errors, the running task with phase and elapsed, completions and the sparkline', () => {
    const lastTick = { id: 't1', startedAt: ago(20_000), endedAt: ago(10_000), outcome: 'ok', steps: 3, requests: 3, error: null };
    const { lastFrame, unmount } = render(<Dashboard snapshot={snapshotOf(sampleState(), { lastTick })} interactive={false} />);
    const f = lastFrame()!;
    expect(f).toContain('last tick 11:59:40 ok (3 steps, 3 req)');
    expect(f).toContain('next tick 12:00:40 (in 40s)');
    expect(f).toMatch(/errors \d+ \(1 failed, 1 need a person\)/);
    expect(f).toMatch(/running critic:critique:\w+ on chatgpt: waiting for answer \(turn 2\), 1m30s/);
    expect(f).toMatch(/recent completions\s+11:30:00 explorer:exploration:\w+ \(2 req\)/);
    expect(f).toContain('▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁█ 1 completed in 24 h');
    unmount();
  });

  it('groups by module and sorts by priority, then age, then state with s', async () => {
    const { lastFrame, stdin, unmount } = render(<Dashboard snapshot={snapshotOf(sampleState())} />);
    const byPrio = listedKeys(lastFrame()!);
    const s = sampleState();
    const key = (n: string) => Object.values(s.tasks).find((t) => t.context['n'] === n)!.key;
    // critic before explorer (grouped by module), and within explorer high priority first.
    expect(byPrio.indexOf(key('bad'))).toBeLessThan(byPrio.indexOf(key('high')));
    expect(byPrio.indexOf(key('high'))).toBeLessThan(byPrio.indexOf(key('low')));
    expect(lastFrame()).toContain('sort priority');
    await press(stdin, 's');
    expect(lastFrame()).toContain('sort age');
    const byAge = listedKeys(lastFrame()!);
    expect(byAge.indexOf(key('low'))).toBeLessThan(byAge.indexOf(key('done'))); // 5 h old before 4 h old
    expect(byAge.indexOf(key('done'))).toBeLessThan(byAge.indexOf(key('high')));
    await press(stdin, 's');
    expect(lastFrame()).toContain('sort state');
    const byState = listedKeys(lastFrame()!);
    expect(byState.indexOf(key('run'))).toBeLessThan(byState.indexOf(key('bad'))); // running before failed
    unmount();
  });

  it('filters by state with f and by text with /', async () => {
    const { lastFrame, stdin, unmount } = render(<Dashboard snapshot={snapshotOf(sampleState())} />);
    expect(lastFrame()).toContain('5/5 tasks');
    await press(stdin, 'f'); // pending
    expect(lastFrame()).toContain('2/5 tasks');
    expect(lastFrame()).toContain('filter pending');
    expect(lastFrame()).not.toMatch(/›?\s+failed\s+\d+/);
    await press(stdin, ESC);
    expect(lastFrame()).toContain('5/5 tasks');
    await press(stdin, '/', 'c', 'r', 'i', 't', ENTER);
    expect(lastFrame()).toContain('2/5 tasks');
    expect(lastFrame()).toContain('filter all /crit');
    // `q` typed into a filter is text, not quit.
    let quit = 0;
    unmount();
    const r2 = render(<Dashboard snapshot={snapshotOf(sampleState())} onQuit={() => quit++} />);
    await press(r2.stdin, '/', 'q');
    expect(quit).toBe(0);
    expect(r2.lastFrame()).toContain('/q_');
    await press(r2.stdin, ENTER, 'q');
    expect(quit).toBe(1);
    r2.unmount();
  });

  it('enter shows the selected task and its last failure bundle; esc returns', async () => {
    const { lastFrame, stdin, unmount } = render(<Dashboard snapshot={snapshotOf(sampleState())} />);
    const rows = listedKeys(lastFrame()!);
    expect(rows).toHaveLength(5);
    const failedIdx = rows.findIndex((k) => sampleState().tasks[k]?.state === 'failed');
    await press(stdin, ...Array<string>(failedIdx).fill(DOWN), ENTER);
    const f = lastFrame()!;
    expect(f).toContain(`task ${rows[failedIdx]}`);
    expect(f).toContain('timeout at');
    expect(f).toContain('bundle       runs/20260110T115000Z-ab12/r002');
    await press(stdin, ESC);
    expect(lastFrame()).toContain('state     prio');
    expect(lastFrame()).toMatch(/^› failed/m); // the selection stayed on the task
    unmount();
  });

  it('p toggles the durable pause through the callback and shows the result; --read-only refuses', async () => {
    const calls: boolean[] = [];
    const onTogglePause = async (paused: boolean) => {
      calls.push(paused);
      return paused ? 'paused: ok' : 'resumed: ok';
    };
    const running = sampleState();
    const r = render(<Dashboard snapshot={snapshotOf(running)} onTogglePause={onTogglePause} />);
    expect(r.lastFrame()).not.toContain('PAUSED');
    await press(r.stdin, 'p');
    expect(calls).toEqual([true]);
    expect(r.lastFrame()).toContain('paused: ok');
    // The watcher re-reads state: the flag now shows, and p resumes.
    r.rerender(<Dashboard snapshot={snapshotOf({ ...running, meta: { ...running.meta, paused: true } })} onTogglePause={onTogglePause} />);
    await settle();
    expect(r.lastFrame()).toContain('[PAUSED');
    await press(r.stdin, 'p');
    expect(calls).toEqual([true, false]);
    expect(r.lastFrame()).toContain('resumed: ok');
    r.unmount();

    const ro = render(<Dashboard snapshot={snapshotOf(running)} onTogglePause={onTogglePause} readOnly />);
    await press(ro.stdin, 'p');
    expect(calls).toHaveLength(2);
    expect(ro.lastFrame()).toContain('read-only');
    ro.unmount();
  });

  it('? shows the key help, any key returns', async () => {
    const { lastFrame, stdin, unmount } = render(<Dashboard snapshot={snapshotOf(sampleState())} />);
    await press(stdin, '?');
    expect(lastFrame()).toContain('cycle sort');
    await press(stdin, 'x');
    expect(lastFrame()).not.toContain('cycle sort');
    unmount();
  });
});

