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

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
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

/** An init'ed home driven by the small `echo` module: two sample seeds → two tasks. */
async function initHome(): Promise<string> {
  const home = tempHome();
  expect((await runFano(['init', home])).code).toBe(0);
  writeFileSync(join(home, 'fano.config.yaml'), 'backends:\n  mock:\n    type: mock\nmodules:\n  echo:\n    enabled: true\n  explorer:\n    enabled: false\n');
  return home;
}

afterAll(() => {
  if (HAS_TMUX) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
});

describe('fano top', () => {
  it.skipIf(!HAS_TMUX)('runs in a terminal, updates when a tick runs beside it, p pauses durably, q quits', async () => {
    const home = await initHome();
    tmux('new-session', '-d', '-s', 'top', '-x', '120', '-y', '50', `${process.execPath} ${FANO_BIN} --home ${home} top`);
    await until('the first frame', () => screen().includes('fano top') && screen().includes('last tick never'));
    expect(screen()).toMatch(/mock\s+idle/);

    expect((await runFano(['tick'], { home })).code).toBe(0);
    await until('the tick to show', () => /last tick \d\d:\d\d:\d\d ok/.test(screen()) && screen().includes('recent completions'));
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
  }, 60_000);

  it('--once prints one frame; --read-only never writes; without a terminal it says to use --once', async () => {
    const home = await initHome();
    expect((await runFano(['tick'], { home })).code).toBe(0);
    const stateFiles = () => ['checkpoint.json', 'log.jsonl'].map((f) => readFileSync(join(home, 'state', f), 'utf8')).join('\n--\n');
    const before = stateFiles();
    const r = await runFano(['top', '--once', '--read-only'], { home });
    expect(stateFiles()).toBe(before);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`fano top ${home}`);
    expect(r.stdout).toMatch(/mock\s+idle\s+hour/);
    expect(r.stdout).toMatch(/^\w+ \(2\)$/m); // the module heading of the two sample tasks
    expect(r.stdout).not.toContain('p pause');
    const live = await runFano(['top'], { home });
    expect(live.code).toBe(64);
    expect(live.stderr).toContain('--once');
  });

  it('fano tasks lists, filters and prints JSON; a bad --state is a usage error', async () => {
    const home = await initHome();
    expect((await runFano(['tick', '--once'], { home })).code).toBe(0);
    const all = JSON.parse((await runFano(['tasks', '--json'], { home })).stdout) as Array<{ state: string; module: string }>;
    expect(all).toHaveLength(2);
    const done = JSON.parse((await runFano(['tasks', '--json', '--state', 'completed'], { home })).stdout) as Array<{ state: string }>;
    expect(done.length).toBeLessThan(2);
    expect(done.every((t) => t.state === 'completed')).toBe(true);
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
    expect((await runFano(['schedule', '--cron'], { home: tempHome() })).code).toBe(64);
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
    writeFileSync(join(bin, 'crontab'), `#!/bin/sh\nif [ "$1" = "-l" ]; then [ -f '${table}' ] || { echo "no crontab for x" >&2; exit 1; }; cat '${table}'; else cat > '${table}'; fi\n`);
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
