/**
 * The operator surface through the built CLI: the real `fano top` in a tmux pseudo-terminal on a
 * live home (updates after a tick, `p` pauses durably, `q` quits), `top --once`, `tasks`,
 * `schedule --install`, and the bundle rule that `fano tick` never loads Ink.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FANO_BIN, REPO, runFano, tempHome } from '../support/cli.js';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `fano-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'top');

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${HAS_TMUX ? safeScreen() : ''}`);
}
function safeScreen(): string {
  try {
    return screen();
  } catch (e) {
    return String(e);
  }
}

/** An init'ed home driven by the small `echo` module: two sample seeds → two tasks (of `turns` exchanges). */
async function initHome(turns = 2): Promise<string> {
  const home = tempHome();
  expect((await runFano(['init', home])).code).toBe(0);
  writeFileSync(
    join(home, 'fano.config.yaml'),
    `backends:\n  mock:\n    type: mock\nmodules:\n  echo:\n    enabled: true\n    turns: ${turns}\n  explorer:\n    enabled: false\n`,
  );
  return home;
}

const ESC = '\u001B';
/** tmux's view of a session: lines kept above the screen, and whether the alternate screen is on. */
function paneInfo(session: string): { history: number; alternate: boolean } {
  const [h, a] = tmux('display-message', '-p', '-t', session, '#{history_size} #{alternate_on}').trim().split(' ');
  return { history: Number(h), alternate: a === '1' };
}
const capture = (session: string) => tmux('capture-pane', '-p', '-t', session);

afterAll(() => {
  if (HAS_TMUX) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
});

// Each `fano` run here is a node start-up: a second when quiet, several under load.
describe('fano top', { timeout: 120_000 }, () => {
  it.skipIf(!HAS_TMUX)(
    'runs in a terminal, updates when a tick runs beside it, p pauses durably, q quits',
    async () => {
      const home = await initHome();
      tmux('new-session', '-d', '-s', 'top', '-x', '120', '-y', '50', `${process.execPath} ${FANO_BIN} --home ${home} top`);
      await until('the first frame', () => screen().includes('fano top') && screen().includes('last tick never'));
      expect(screen()).toMatch(/^mock .* idle\s*$/m);

      expect((await runFano(['tick'], { home })).code).toBe(0);
      await until('the tick to show', () => /last tick \d\d:\d\d:\d\d ok/.test(screen()) && /done echo:exploration:/.test(screen()));
      expect(screen()).toMatch(/completed\s+\d+/);

      tmux('send-keys', '-t', 'top', 'p');
      await until('the pause flag', () => screen().includes('[PAUSED'));
      const st = JSON.parse((await runFano(['status', '--json'], { home })).stdout);
      expect(st.paused).toBe(true);

      tmux('send-keys', '-t', 'top', 'p');
      await until('resume', () => !screen().includes('[PAUSED') && screen().includes('resumed'));
      expect(JSON.parse((await runFano(['status', '--json'], { home })).stdout).paused).toBe(false);

      tmux('send-keys', '-t', 'top', 'q');
      await until('top to quit', () => spawnSync('tmux', ['-L', SOCKET, 'has-session', '-t', 'top']).status !== 0);
    },
    120_000,
  );

  it.skipIf(!HAS_TMUX)(
    'full screen at 80x24 and 140x45: 30 s with ticks beside it, the title stays first, no scrollback, no screen clears, the old screen comes back',
    async () => {
      const home = await initHome(1);
      const sizes = [
        { name: 's80', x: 80, y: 24 },
        { name: 's140', x: 140, y: 45 },
      ];
      const raw = (name: string) => join(home, `${name}.raw`);
      const before = new Map<string, number>();
      for (const { name, x, y } of sizes) {
        tmux('new-session', '-d', '-s', name, '-x', String(x), '-y', String(y), 'env -i PATH=/usr/bin:/bin TERM=xterm-256color bash --norc --noprofile');
        // Something on the screen and in the scrollback that must survive `fano top`.
        tmux('send-keys', '-t', name, `seq -f 'previous line %g' 1 ${y + 20}`, 'Enter');
        await until(`${name}: the previous content`, () => capture(name).includes(`previous line ${y + 20}`));
        tmux('pipe-pane', '-t', name, `cat > '${raw(name)}'`);
        tmux('send-keys', '-t', name, `clear -x; ${process.execPath} ${FANO_BIN} --home ${home} top`, 'Enter');
        await until(`${name}: the first frame`, () => capture(name).startsWith('fano top') && /tasks · sort/.test(capture(name)));
        expect(paneInfo(name).alternate).toBe(true);
        before.set(name, paneInfo(name).history);
      }
      const shellScreen = new Map<string, string>();

      // Ticks beside it for 30 s and at least four ticks (a loaded machine runs fewer in 30 s),
      // each on a new seed, so every frame has something new.
      const end = Date.now() + 30_000;
      let ticks = 0;
      while (Date.now() < end || ticks < 4) {
        expect((await runFano(['seed', 'add', `Seed number ${ticks} for the dashboard.`, '--type', 'question'], { home })).code).toBe(0);
        const t = await runFano(['tick', '--once'], { home });
        expect(t.code, t.stderr).toBe(0);
        ticks++;
        for (const { name } of sizes) {
          const lines = capture(name).split('\n');
          expect(lines[0], `${name} after tick ${ticks}`).toMatch(/^fano top \d\d:\d\d:\d\d UTC /);
        }
      }

      // It follows a resize, smaller and larger, still without clearing the screen (checked below).
      for (const [x, y] of [
        [100, 30],
        [80, 24],
        [140, 45],
      ] as const) {
        tmux('resize-window', '-t', 's140', '-x', String(x), '-y', String(y));
        await until(`s140 at ${x}x${y}`, () => {
          const lines = capture('s140').split('\n');
          const footer = lines.findIndex((l) => /^\d+\/\d+ tasks · sort/.test(l));
          // The whole frame on screen: title on the first line, footer on the line above the last.
          return lines[0]!.startsWith('fano top ') && footer === y - 2 && lines.every((l) => l.length <= x);
        });
      }

      for (const { name, y } of sizes) {
        const screenNow = capture(name);
        expect(screenNow.split('\n')[0]).toMatch(/^fano top /);
        await until(`${name}: the last tick's completion`, () => capture(name).includes('done echo:exploration:'));
        expect(paneInfo(name).history, `${name}: history grew`).toBe(before.get(name));
        tmux('send-keys', '-t', name, 'q');
        await until(`${name}: the shell again`, () => !paneInfo(name).alternate);
        shellScreen.set(name, capture(name));
        // Back on the normal screen, tmux holds exactly the scrollback it had before (s140 was resized, which reflows it).
        if (name === 's80') expect(paneInfo(name).history).toBe(before.get(name));
        expect(shellScreen.get(name)).not.toContain('fano top ');
        expect(tmux('capture-pane', '-p', '-t', name, '-S', '-', '-E', '-').includes(`previous line ${y + 20}`)).toBe(true);
      }
      for (const { name } of sizes) {
        tmux('pipe-pane', '-t', name); // closes the pipe, flushing the capture
        const out = readFileSync(raw(name), 'latin1');
        expect(out, `${name}: the alternate screen`).toContain(`${ESC}[?1049h`);
        expect(out).toContain(`${ESC}[?1049l`);
        const frames = out.slice(out.indexOf(`${ESC}[?1049h`));
        expect(frames.length).toBeGreaterThan(1_000); // it did redraw
        // Never a clear of the screen or of the scrollback: not after the first frame, not at all.
        expect(frames.includes(`${ESC}[2J`), `${name}: ESC[2J written`).toBe(false);
        expect(frames.includes(`${ESC}[3J`), `${name}: ESC[3J written`).toBe(false);
      }
    },
    240_000, // 30 s of ticks and four resizes take a minute when quiet, several on a loaded CI machine
  );

  it('--once prints one frame; --read-only never writes; without a terminal it says to use --once', async () => {
    const home = await initHome();
    expect((await runFano(['tick'], { home })).code).toBe(0);
    const stateFiles = () => ['checkpoint.json', 'log.jsonl'].map((f) => readFileSync(join(home, 'state', f), 'utf8')).join('\n--\n');
    const before = stateFiles();
    const r = await runFano(['top', '--once', '--read-only'], { home });
    expect(stateFiles()).toBe(before);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^fano top \\d\\d:\\d\\d:\\d\\d UTC ${home}$`));
    expect(r.stdout).toMatch(/^mock .* idle$/m);
    expect(r.stdout).toMatch(/^ {2}state {5}prio {5}age {2}task \(2\)$/m); // the list heading: both sample tasks
    expect(r.stdout).not.toContain('p pause');
    const help = await runFano(['top', '--help'], { home });
    for (const key of ['↑ ↓  j k', 'PgUp PgDn', 'home end', 'tab', 'enter', 'esc', ' s ', ' f ', ' / ', ' p ', ' ? ', 'q  ctrl-c'])
      expect(help.stdout).toContain(key);
    const live = await runFano(['top'], { home });
    expect(live.code).toBe(64);
    expect(live.stderr).toContain('--once');
    // A broken seeds file is an error top shows, with its file, line and fix.
    writeFileSync(join(home, 'state/explorer/seeds.yaml'), 'seeds:\n  - id: x\n    priority: 99\n    text: hi\n');
    const broken = await runFano(['top', '--once', '--read-only'], { home });
    expect(broken.stdout).toMatch(/errors [1-9]\d* \(\d+ problems?/);
    expect(broken.stdout).toMatch(/problem state\/explorer\/seeds\.yaml:\d+: .*; fix: /);
  });

  it('fano tasks lists, filters and prints JSON; a bad --state is a usage error', async () => {
    const home = await initHome(1);
    expect((await runFano(['tick', '--once'], { home })).code).toBe(0);
    const all = JSON.parse((await runFano(['tasks', '--json'], { home })).stdout) as Array<{ state: string; module: string }>;
    expect(all).toHaveLength(2);
    // One-turn conversations: the one step of --once completes exactly one task.
    const done = JSON.parse((await runFano(['tasks', '--json', '--state', 'completed'], { home })).stdout) as Array<{ state: string }>;
    expect(done).toHaveLength(1);
    expect(done[0]!.state).toBe('completed');
    expect((await runFano(['tasks', '--module', 'nope'], { home })).stdout).toContain('no tasks match');
    expect((await runFano(['tasks', '--module', all[0]!.module], { home })).stdout).toMatch(/^\w+ \(2\)$/m);
    const bad = await runFano(['tasks', '--state', 'done'], { home });
    expect(bad.code).toBe(64);
  });
});

describe('fano schedule', () => {
  it('prints a systemd timer and a cron line with absolute paths; one kind is required', async () => {
    const home = await initHome();
    const sd = await runFano(['schedule', '--systemd'], { home });
    expect(sd.code).toBe(0);
    expect(sd.stdout).toContain(`ExecStart=${process.execPath} ${FANO_BIN} --home ${home} tick`);
    expect(sd.stdout).toContain('OnCalendar=minutely');
    expect(sd.stdout).toMatch(/Exit 75/);
    const cron = await runFano(['schedule', '--cron'], { home });
    expect(cron.stdout).toContain(`'${process.execPath}' '${FANO_BIN}' --home '${home}' tick`);
    expect((await runFano(['schedule'], { home })).code).toBe(64);
    expect((await runFano(['schedule', '--cron'], { home: tempHome() })).code).toBe(78); // not a home (no fano.config.yaml)
  });

  it('--install writes user units, and appends to the crontab exactly once', async () => {
    const home = await initHome();
    const xdg = tempHome();
    const r = await runFano(['schedule', '--systemd', '--install'], { home, env: { XDG_CONFIG_HOME: xdg } });
    expect(r.code, r.stderr).toBe(0);
    const name = /enable --now (fano-[0-9a-f]{8})\.timer/.exec(r.stdout)![1]!;
    expect(readFileSync(join(xdg, 'systemd', 'user', `${name}.timer`), 'utf8')).toContain('Persistent=true');
    expect(readFileSync(join(xdg, 'systemd', 'user', `${name}.service`), 'utf8')).toContain(`--home ${home} tick`);

    // A fake crontab(1) on PATH keeps the table in a file.
    const bin = tempHome();
    const table = join(bin, 'table');
    writeFileSync(
      join(bin, 'crontab'),
      `#!/bin/sh\nif [ "$1" = "-l" ]; then [ -f '${table}' ] || { echo "no crontab for x" >&2; exit 1; }; cat '${table}'; else cat > '${table}'; fi\n`,
    );
    chmodSync(join(bin, 'crontab'), 0o755);
    const env = { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin` };
    const first = await runFano(['schedule', '--cron', '--install'], { home, env });
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(table)).toBe(true);
    const second = await runFano(['schedule', '--cron', '--install'], { home, env });
    expect(second.stdout).toContain('already installed');
    const lines = readFileSync(table, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\* \* \* \* \* .* tick 2>&1\); .* # fano-[0-9a-f]{8}$/);

    // A new interval replaces the line (two lines would run two ticks), it is not "already installed".
    const config = readFileSync(join(home, 'fano.config.yaml'), 'utf8');
    expect(config).not.toMatch(/^tick:/m);
    writeFileSync(join(home, 'fano.config.yaml'), `${config}\ntick:\n  intervalSeconds: 300\n`);
    const third = await runFano(['schedule', '--cron', '--install'], { home, env });
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toContain('replaced in your crontab');
    const after = readFileSync(table, 'utf8').trim().split('\n');
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/^\*\/5 \* \* \* \* .* # fano-[0-9a-f]{8}$/);
  });
});

/** Files and bare packages reachable from `entry` through static imports (dynamic import() is lazy). */
function staticGraph(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const src = readFileSync(file, 'utf8');
    // esbuild minifies to `import{a as b}from"../chunks/x.js";`: no spaces to rely on.
    for (const m of src.matchAll(/(?:^|[;\s}])(?:import|export)\s*(?:[\w*${}\s,]*?from\s*)?["']([^"']+)["']/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return { files, bare };
}

describe('bundle', () => {
  it("fano tick's entry never statically imports ink or react (only the lazily loaded top chunk does)", () => {
    const main = join(REPO, 'dist', 'cli', 'main.js');
    const g = staticGraph(main);
    expect(g.files.size).toBeGreaterThan(1);
    expect(g.bare.has('node:fs') || [...g.bare].some((b) => b.startsWith('node:'))).toBe(true);
    const uiDeps = (bare: Set<string>) => [...bare].filter((s) => /^(ink|react)(\/|$)/.test(s));
    expect(uiDeps(g.bare)).toEqual([]);
    const top = [...readFileSync(main, 'utf8').matchAll(/import\(["'](\.[^"']*\/top-[^"']*)["']\)/g)].map((m) => m[1]!);
    expect(top).toHaveLength(1);
    expect(uiDeps(staticGraph(join(REPO, 'dist', 'cli', top[0]!)).bare)).toContain('ink');
  });
});
