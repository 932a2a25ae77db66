import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { FanoState } from '../core/types.js';
import { Dashboard } from './Dashboard.js';
import { NOW, ago, snapshotOf, stateWith, task } from './test-builders.js';
import { HOUR_MS, MINUTE_MS } from '../core/time.js';

const DOWN = '\u001B[B';
const ENTER = '\r';
const ESC = '\u001B';
const TAB = '\t';

type Rendered = ReturnType<typeof render>;

/** Ink handles input and re-renders asynchronously: wait for the frame that shows the effect. */
async function frameWhere(r: Rendered, what: string, check: (frame: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const f = r.lastFrame() ?? '';
    if (check(f)) return f;
    if (Date.now() > end) throw new Error(`no frame with ${what}; last frame:\n${f}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}
/** Presses `key`, then waits for the frame `check` accepts. */
async function press(r: Rendered, key: string, what: string, check: (frame: string) => boolean): Promise<string> {
  r.stdin.write(key);
  return frameWhere(r, what, check);
}

/** Task keys in the order the list shows them. */
function listedKeys(frame: string): string[] {
  return [...frame.matchAll(/^[› ] (?:pending|running|paused|completed|failed)\s+-?\d+\s+\S+\s+(\S+)/gm)].map((m) => m[1]!);
}
const selectedKey = (frame: string) => /^› \w+\s+-?\d+\s+\S+\s+(\S+)/m.exec(frame)?.[1];

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
      finishedAt: ago(10 * MINUTE_MS),
      lastError: { kind: 'timeout', message: 'no answer within 300 s', at: ago(10 * MINUTE_MS), bundle: 'runs/20260110T115000Z-ab12/r002' },
    },
    3 * HOUR_MS,
  );
  const done = task(
    { module: 'explorer', type: 'exploration', context: { n: 'done' }, state: 'completed', finishedAt: ago(30 * MINUTE_MS), llmRequests: 2 },
    4 * HOUR_MS,
  );
  return stateWith([high, low, running, failed, done], {
    claude: { rateLimitedUntil: new Date(NOW.getTime() + 20 * MINUTE_MS).toISOString(), recent: [ago(MINUTE_MS)] },
    gemini: { needsHuman: { reason: 'loginRequired', since: ago(HOUR_MS), bundle: null } },
  });
}
const keyOf = (s: FanoState, n: string) => Object.values(s.tasks).find((t) => t.context['n'] === n)!.key;

/** 57 tasks as in the report that asked for this: one pending task among many completed ones of higher priority. */
function busyState(): FanoState {
  const tasks = Array.from({ length: 56 }, (_, i) =>
    task(
      { module: 'explorer', type: 'exploration', context: { n: `done${i}` }, priority: 60, state: 'completed', finishedAt: ago((i + 1) * MINUTE_MS) },
      5 * HOUR_MS,
    ),
  );
  tasks.push(task({ module: 'documenter', type: 'incorporate_insight', context: { n: 'todo' }, priority: 0, state: 'pending' }, MINUTE_MS));
  return stateWith(tasks);
}

describe('Dashboard', () => {
  it('shows each backend with its quota bars and why it is not working', () => {
    const r = render(<Dashboard snapshot={snapshotOf(sampleState())} interactive={false} />);
    const f = r.lastFrame()!;
    expect(f).toMatch(/^chatgpt .* working$/m);
    expect(f).toMatch(/^claude .* 1\/20 deep ░░░░ 0\/4\s+rate-limited until 12:20 \(in 20m00s\)$/m);
    expect(f).toMatch(/^gemini .* needs a person \(loginRequired\): run `fano login gemini`$/m);
    r.unmount();
    const idle = render(<Dashboard snapshot={snapshotOf(stateWith([]))} interactive={false} />);
    expect(idle.lastFrame()).toMatch(/^chatgpt .* idle$/m);
    expect(idle.lastFrame()).toContain('no tasks match');
    idle.unmount();
  });

  it('problems a person must fix count as errors and lead the events; a used-up quota says until when', () => {
    const s = stateWith([], { chatgpt: { recent: Array.from({ length: 20 }, (_, i) => ago((50 - i) * MINUTE_MS)) } });
    const problems = [{ file: 'state/explorer/seeds.yaml', line: 3, message: 'seed "x" has no text', fix: 'give it a text: line' }];
    const r = render(<Dashboard snapshot={snapshotOf(s, { problems })} interactive={false} />);
    const f = r.lastFrame()!;
    expect(f).toMatch(/errors 1 \(1 problem\)/);
    expect(f).toMatch(/^chatgpt .* 20\/20 .* quota used up until 12:10 \(in 10m00s\)$/m);
    const events = f.slice(f.indexOf('\nevents'));
    expect(events.split('\n')[2]).toMatch(/^now\s+problem state\/explorer\/seeds\.yaml:3: seed "x" has no text; fix: give it a text: line$/);
    r.unmount();
  });

  it('header: title first, last and next tick with errors, throughput and counts; running work shows its phase', () => {
    const lastTick = { id: 't1', startedAt: ago(20_000), endedAt: ago(10_000), outcome: 'ok', steps: 3, requests: 3, error: null };
    const r = render(<Dashboard snapshot={snapshotOf(sampleState(), { lastTick })} interactive={false} />);
    const f = r.lastFrame()!;
    expect(f.split('\n')[0]).toMatch(/^fano top 12:00:00 UTC \/home\/test\/fano$/);
    expect(f).toContain('last tick 11:59:40 ok (3 steps, 3 req) · next 12:00:40 (in 40s) · errors 2 (1 failed, 1 need a pers');
    expect(f).toMatch(/running\s+\d+\s+\S+\s+critic:critique:\w+ 1m30s on chatgpt: waiting for answer \(turn 2\)/);
    expect(f).toContain('▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁█ 1 in 24 h · 1 running · 2 pending · 0 paused · 1 failed · 1 complet');
    expect(f).toMatch(/^24 h: 0 section\(s\) documented · 0 research item\(s\) · requests /m);
    r.unmount();
    const paused = render(<Dashboard snapshot={snapshotOf(stateWith([], {}, true))} interactive={false} />);
    expect(paused.lastFrame()!.split('\n')[0]).toMatch(/^fano top \[PAUSED\] /);
    paused.unmount();
  });

  it('events: failures, why work waits, and completions, newest first', () => {
    const s = sampleState();
    const waiting = task({ module: 'explorer', type: 'exploration', context: { n: 'w' }, state: 'pending', llmPreference: 'claude' });
    s.tasks[waiting.key] = waiting;
    const r = render(<Dashboard snapshot={snapshotOf(s)} interactive={false} />);
    const f = r.lastFrame()!;
    const events = f.slice(f.indexOf('\nevents'));
    expect(events).toMatch(/now\s+1 task\(s\) wait for claude: rate-limited until 12:20/);
    expect(events).toMatch(/11:50:00 failed critic:critique:\w+: timeout: no answer within 300 s/);
    expect(events).toMatch(/11:30:00 done explorer:exploration:\w+ \(2 req\)/);
    expect(events).toMatch(/11:00:00 gemini: needs a person/);
    expect(events.indexOf('failed')).toBeLessThan(events.indexOf('done'));
    r.unmount();
    // Deep work with no deep request left anywhere says so.
    const day = NOW.toISOString().slice(0, 10);
    const spent = stateWith(
      [task({ context: { n: 'deep' }, state: 'pending', deep: true })],
      Object.fromEntries(['chatgpt', 'claude', 'gemini'].map((b) => [b, { deepDay: day, deepUsed: 4 }])),
    );
    const d = render(<Dashboard snapshot={snapshotOf(spent)} interactive={false} />);
    expect(d.lastFrame()).toMatch(/now\s+1 deep task\(s\) wait: their backends have no deep requests left today/);
    d.unmount();
  });

  it('lists running and pending work first, then failed and completed; s changes the order within each state', async () => {
    const s = sampleState();
    const r = render(<Dashboard snapshot={snapshotOf(s)} />);
    const byPrio = listedKeys(r.lastFrame()!);
    expect(byPrio).toEqual([keyOf(s, 'run'), keyOf(s, 'high'), keyOf(s, 'low'), keyOf(s, 'bad'), keyOf(s, 'done')]);
    const f = await press(r, 's', 'sort age', (x) => x.includes('sort age'));
    expect(listedKeys(f).slice(1, 3)).toEqual([keyOf(s, 'low'), keyOf(s, 'high')]); // 5 h old before 2 h old
    await press(r, 's', 'sort key', (x) => x.includes('sort key'));
    await press(r, 's', 'sort priority', (x) => x.includes('sort priority'));
    r.unmount();
  });

  it('fits a 24-row terminal exactly (23 lines), title first, the one pending task of 57 visible', () => {
    const s = busyState();
    const r = render(<Dashboard snapshot={snapshotOf(s)} size={{ rows: 24 }} interactive={false} />);
    const lines = r.lastFrame()!.split('\n');
    expect(lines).toHaveLength(23);
    expect(lines[0]).toMatch(/^fano top /);
    expect(listedKeys(r.lastFrame()!)[0]).toBe(keyOf(s, 'todo'));
    expect(r.lastFrame()).toMatch(/task \(1-\d+ of 57\)/);
    expect(lines[22]).toMatch(/^57\/57 tasks/);
    r.unmount();
    for (const rows of [12, 30, 45, 60]) {
      const big = render(<Dashboard snapshot={snapshotOf(s)} size={{ rows }} interactive={false} />);
      expect(big.lastFrame()!.split('\n'), `rows ${rows}`).toHaveLength(rows - 1);
      big.unmount();
    }
  });

  it('the list scrolls with the selection; tab moves the focus to the events pane, which scrolls', async () => {
    const s = busyState();
    const r = render(<Dashboard snapshot={snapshotOf(s)} size={{ rows: 24 }} />);
    let f = r.lastFrame()!;
    const first = listedKeys(f)[0]!;
    for (let i = 0; i < 15; i++)
      f = await press(r, DOWN, `row ${i + 2} selected`, (x) => selectedKey(x) !== undefined && listedKeys(x).indexOf(selectedKey(x)!) >= 0 && x !== f);
    expect(listedKeys(f)).not.toContain(first);
    expect(f.split('\n')).toHaveLength(23);
    const heading = (x: string) => /^events \((\d+)-\d+ of (\d+)/m.exec(x);
    expect(heading(f)?.[1]).toBe('1');
    f = await press(r, TAB, 'events focused', (x) => !x.includes('tab to scroll'));
    f = await press(r, DOWN, 'events scrolled', (x) => heading(x)?.[1] === '2');
    f = await press(r, 'G', 'events at the end', (x) => Number(heading(x)?.[1]) > 2);
    expect(f.split('\n')).toHaveLength(23);
    r.unmount();
  });

  it('filters by state with f and by text with /; q typed into a filter is text', async () => {
    const r = render(<Dashboard snapshot={snapshotOf(sampleState())} />);
    expect(r.lastFrame()).toContain('5/5 tasks');
    const f = await press(r, 'f', 'the pending filter', (x) => x.includes('filter pending'));
    expect(f).toContain('2/5 tasks');
    await press(r, ESC, 'no filter', (x) => x.includes('5/5 tasks'));
    for (const k of ['/', 'c', 'r', 'i', 't']) await press(r, k, `typed ${k}`, (x) => x.includes(`${k === '/' ? '/' : k}_`));
    await press(r, ENTER, 'the text filter', (x) => x.includes('filter all /crit ') && x.includes('2/5 tasks'));
    r.unmount();
    let quit = 0;
    const r2 = render(<Dashboard snapshot={snapshotOf(sampleState())} onQuit={() => quit++} />);
    await press(r2, '/', 'editing', (x) => x.includes('/_'));
    await press(r2, 'q', 'q as text', (x) => x.includes('/q_'));
    expect(quit).toBe(0);
    await press(r2, ENTER, 'filter kept', (x) => x.includes('/q ·'));
    r2.stdin.write('q');
    await frameWhere(r2, 'quit', () => quit === 1);
    r2.unmount();
  });

  it('enter shows the task with the same priority as the list (frozen at finish) and its failure bundle; esc returns', async () => {
    const s = sampleState();
    const later = snapshotOf(s, { now: new Date(NOW.getTime() + 10 * HOUR_MS) });
    const r = render(<Dashboard snapshot={later} />);
    const rows = listedKeys(r.lastFrame()!);
    const failedIdx = rows.indexOf(keyOf(s, 'bad'));
    const listed = new RegExp(`^  failed\\s+(\\d+)\\s+\\S+\\s+${keyOf(s, 'bad')}`, 'm').exec(r.lastFrame()!)![1];
    for (let i = 0; i < failedIdx; i++) await press(r, DOWN, `row ${i + 1}`, (x) => selectedKey(x) === rows[i + 1]);
    const f = await press(r, ENTER, 'details', (x) => x.includes(`task ${keyOf(s, 'bad')}`));
    expect(f).toContain(`priority     ${listed} (base 45 + aging`);
    expect(f).toContain('as it was when it finished at 11:50:00');
    expect(f).toContain('timeout at');
    expect(f).toContain('bundle       runs/20260110T115000Z-ab12/r002');
    const back = await press(r, ESC, 'the list', (x) => x.includes('state     prio'));
    expect(selectedKey(back)).toBe(keyOf(s, 'bad')); // the selection stayed on the task
    r.unmount();
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
    await press(r, 'p', 'the result', (x) => x.includes('paused: ok'));
    expect(calls).toEqual([true]);
    // The watcher re-reads state: the flag now shows, and p resumes.
    r.rerender(<Dashboard snapshot={snapshotOf({ ...running, meta: { ...running.meta, paused: true } })} onTogglePause={onTogglePause} />);
    await frameWhere(r, 'the flag', (x) => x.includes('[PAUSED]'));
    await press(r, 'p', 'resumed', (x) => x.includes('resumed: ok'));
    expect(calls).toEqual([true, false]);
    r.unmount();

    const ro = render(<Dashboard snapshot={snapshotOf(running)} onTogglePause={onTogglePause} readOnly />);
    await press(ro, 'p', 'the refusal', (x) => x.includes('read-only'));
    expect(calls).toHaveLength(2);
    ro.unmount();
  });

  it('? shows every key, any key returns', async () => {
    const r = render(<Dashboard snapshot={snapshotOf(sampleState())} />);
    const f = await press(r, '?', 'help', (x) => x.includes('cycle the order'));
    for (const k of ['tab', 'enter', 'esc', 'PgUp PgDn', 'q  ctrl-c']) expect(f).toContain(k);
    await press(r, 'x', 'the list', (x) => !x.includes('cycle the order'));
    r.unmount();
  });
});
